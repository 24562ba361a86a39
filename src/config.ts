import { z } from 'zod';

/**
 * Fixed development secrets. Every process outside production falls back to these, so the API, workers
 * and the dev stack started separately can read each other's writes. Production refuses to start
 * without real values.
 */
export const DEV_DEFAULTS = {
  ADMIN_TOKEN: 'dev-admin-token',
  WEBHOOK_SECRET: 'whsec_ZGV2LXdlYmhvb2stc2VjcmV0LWZvci12cHMtcHJvdmlzaW9uZXI=',
  CREDENTIALS_KEY: 'bd8d06f776dbddb4c4e570b87ae3ce425138ca369aa8f3b0565930513afb2610',
} as const;

const PRODUCTION_REQUIRED = [
  'MONGO_URL',
  'REDIS_URL',
  'ADMIN_TOKEN',
  'WEBHOOK_SECRET',
  'CREDENTIALS_KEY',
  'SMARTVPS_API_URL',
  'SMARTVPS_API_KEY',
  'HOSTYCARE_API_URL',
  'HOSTYCARE_API_KEY',
] as const;

/** What a package lock must have left, beyond a buy's timeout and grace, for a buy to start under it. */
const LOCK_MARGIN_MS = 100;

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

const msList = z
  .string()
  .transform((value, ctx) => {
    const parts = value.split(',').map((part) => Number(part.trim()));
    if (parts.length === 0 || parts.some((n) => !Number.isInteger(n) || n <= 0)) {
      ctx.addIssue({ code: 'custom', message: 'expected a comma-separated list of positive integers (milliseconds)' });
      return z.NEVER;
    }
    return parts;
  });

const credentialsKey = z.string().transform((value, ctx) => {
  const key = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32) {
    ctx.addIssue({ code: 'custom', message: 'expected 32 bytes, as 64 hex characters or base64' });
    return z.NEVER;
  }
  return key;
});

const url = z.url({ protocol: /^https?$/ });

export const EnvironmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: int(0, 65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  MONGO_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'expected a mongodb:// or mongodb+srv:// URL').optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL').optional(),
  QUEUE_PREFIX: z.string().min(1).default('{vps}'),

  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  WEBHOOK_SECRET: z.string().regex(/^whsec_[A-Za-z0-9+/=]+$/, 'expected a whsec_… secret').optional(),
  CREDENTIALS_KEY: credentialsKey.optional(),

  SIMULATOR_URL: url.optional(),
  SMARTVPS_API_URL: url.optional(),
  SMARTVPS_API_KEY: z.string().min(1).optional(),
  HOSTYCARE_API_URL: url.optional(),
  HOSTYCARE_API_KEY: z.string().min(1).optional(),
  PROVIDER_TIMEOUT_MS: int(100).default(15_000),
  POLL_INTERVAL_MS: int(10).default(5_000),
  POLL_TIMEOUT_MS: int(100).default(600_000),
  BUY_GRACE_MS: int(0).default(10_000),
  RATE_LIMIT_MAX_WAIT_MS: int(1_000).default(1_800_000),

  WORKER_CONCURRENCY: int(1, 1000).default(50),
  PROVISION_ATTEMPTS: int(1, 100).default(4),
  PROVISION_BACKOFF_MS: msList.default([60_000, 180_000, 300_000]),
  LOCK_TTL_MS: int(100).default(30_000),
  LOCK_RETRY_DELAY_MS: int(10).default(5_000),
  LOCK_MAX_WAIT_MS: int(0).default(900_000),
  STUCK_AFTER_MS: int(1).default(600_000),
  SWEEP_INTERVAL_MS: int(100).default(60_000),
  SHUTDOWN_TIMEOUT_MS: int(100).default(10_000),
  JOB_LOCK_MS: int(1_000).default(30_000),
  WORKER_METRICS_PORT: int(0, 65535).optional(),

  DEV_WORKERS: int(0, 64).default(1),
});

type Environment = z.infer<typeof EnvironmentSchema>;

export interface Config {
  env: Environment['NODE_ENV'];
  isProduction: boolean;
  host: string;
  port: number;
  logLevel: Environment['LOG_LEVEL'];
  mongoUrl: string | undefined;
  redisUrl: string | undefined;
  queuePrefix: string;
  adminToken: string;
  webhookSecret: string;
  credentialsKey: Buffer;
  providers: {
    smartvps: { url: string | undefined; apiKey: string };
    hostycare: { url: string | undefined; apiKey: string };
    timeoutMs: number;
    pollIntervalMs: number;
    pollTimeoutMs: number;
    /** After a buy timed out, how long the package lock is kept while the purchase is looked for. */
    buyGraceMs: number;
    /** After how long of a provider's 429s an order fails. */
    rateLimitMaxWaitMs: number;
  };
  worker: {
    concurrency: number;
    attempts: number;
    backoffMs: number[];
    lockTtlMs: number;
    lockRetryDelayMs: number;
    lockMaxWaitMs: number;
    stuckAfterMs: number;
    sweepIntervalMs: number;
    shutdownTimeoutMs: number;
    /** BullMQ job lock; a job whose worker died is taken up again after about this long. */
    jobLockMs: number;
    metricsPort: number | undefined;
  };
  devWorkers: number;
}

/** A configuration problem; the message names every offending variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'invalid_config';
}

/** Parses and validates the environment. Pure: pass `process.env` at the entrypoint, once. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as in docker-compose files that list every variable.
  const raw = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = EnvironmentSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  if (isProduction) {
    const missing = PRODUCTION_REQUIRED.filter((name) => e[name] === undefined);
    if (missing.length > 0) {
      throw new ConfigError(`Missing required configuration for production: ${missing.join(', ')}`);
    }
  }
  // A buy may go on at the provider until it times out, and its purchase may show only during the grace
  // after: the package lock must outlive both, or a second buy on the package could start meanwhile.
  if (e.LOCK_TTL_MS < e.PROVIDER_TIMEOUT_MS + e.BUY_GRACE_MS + LOCK_MARGIN_MS) {
    throw new ConfigError(
      `Invalid configuration:\n  LOCK_TTL_MS: must exceed PROVIDER_TIMEOUT_MS + BUY_GRACE_MS by ${LOCK_MARGIN_MS} ms ` +
        `(${e.LOCK_TTL_MS} < ${e.PROVIDER_TIMEOUT_MS} + ${e.BUY_GRACE_MS} + ${LOCK_MARGIN_MS}): a buy must end while the package lock is certainly held`,
    );
  }
  const smartvpsUrl = e.SMARTVPS_API_URL ?? (e.SIMULATOR_URL && `${e.SIMULATOR_URL.replace(/\/$/, '')}/smartvps`);
  const hostycareUrl = e.HOSTYCARE_API_URL ?? (e.SIMULATOR_URL && `${e.SIMULATOR_URL.replace(/\/$/, '')}/hostycare`);
  return {
    env: e.NODE_ENV,
    isProduction,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    mongoUrl: e.MONGO_URL,
    redisUrl: e.REDIS_URL,
    queuePrefix: e.QUEUE_PREFIX,
    adminToken: e.ADMIN_TOKEN ?? DEV_DEFAULTS.ADMIN_TOKEN,
    webhookSecret: e.WEBHOOK_SECRET ?? DEV_DEFAULTS.WEBHOOK_SECRET,
    credentialsKey: e.CREDENTIALS_KEY ?? Buffer.from(DEV_DEFAULTS.CREDENTIALS_KEY, 'hex'),
    providers: {
      smartvps: { url: smartvpsUrl, apiKey: e.SMARTVPS_API_KEY ?? 'dev-smartvps-key' },
      hostycare: { url: hostycareUrl, apiKey: e.HOSTYCARE_API_KEY ?? 'dev-hostycare-key' },
      timeoutMs: e.PROVIDER_TIMEOUT_MS,
      pollIntervalMs: e.POLL_INTERVAL_MS,
      pollTimeoutMs: e.POLL_TIMEOUT_MS,
      buyGraceMs: e.BUY_GRACE_MS,
      rateLimitMaxWaitMs: e.RATE_LIMIT_MAX_WAIT_MS,
    },
    worker: {
      concurrency: e.WORKER_CONCURRENCY,
      attempts: e.PROVISION_ATTEMPTS,
      backoffMs: e.PROVISION_BACKOFF_MS,
      lockTtlMs: e.LOCK_TTL_MS,
      lockRetryDelayMs: e.LOCK_RETRY_DELAY_MS,
      lockMaxWaitMs: e.LOCK_MAX_WAIT_MS,
      stuckAfterMs: e.STUCK_AFTER_MS,
      sweepIntervalMs: e.SWEEP_INTERVAL_MS,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      jobLockMs: e.JOB_LOCK_MS,
      metricsPort: e.WORKER_METRICS_PORT,
    },
    devWorkers: e.DEV_WORKERS,
  };
}

/** Entrypoint helper: parse the environment or print the problem and exit(1). */
export function loadConfigOrExit(source: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(source);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
