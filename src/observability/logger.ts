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

/**
 * A structured JSON logger. `pretty` (the dev stack only) prints readable lines through pino-pretty, a
 * devDependency that production never loads.
 */
export function createLogger(options: { level: string; name?: string; pretty?: boolean }, destination?: pino.DestinationStream): Logger {
  const target = destination ?? (options.pretty ? pino.transport({ target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } }) : undefined);
  return pino(
    {
      level: options.level,
      name: options.name,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    target,
  );
}
