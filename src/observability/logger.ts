import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Secrets are redacted here, at the logger, rather than by remembering not to log them. Paths cover
 * the shapes the code logs: credentials objects, encrypted blobs, auth headers and API keys.
 */
const REDACT_PATHS = [
  'password',
  '*.password',
  'credentials',
  '*.credentials',
  'credentialsEncrypted',
  '*.credentialsEncrypted',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["webhook-signature"]',
];

export function createLogger(options: { level: string; name?: string }, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level: options.level,
      name: options.name,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
