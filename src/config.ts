import { z } from 'zod';

/**
 * Fixed development secrets. Only a process started with NODE_ENV=development (or test), which the dev
 * stack sets for itself, falls back to these, so the API, workers and the dev stack started separately
 * can read each other's writes. Any other start without real secrets refuses to run.
 */
export const DEV_DEFAULTS = {
  ADMIN_TOKEN: 'dev-admin-token',
  WEBHOOK_SECRET: 'whsec_ZGV2LXdlYmhvb2stc2VjcmV0LWZvci12cHMtcHJvdmlzaW9uZXI=',
  CREDENTIALS_KEY: 'bd8d06f776dbddb4c4e570b87ae3ce425138ca369aa8f3b0565930513afb2610',
} as const;

/** The admin the development defaults and a lone ADMIN_TOKEN stand for. */
export const DEFAULT_ADMIN_NAME = 'admin';

const PRODUCTION_REQUIRED = ['MONGO_URL', 'WEBHOOK_SECRET', 'CREDENTIALS_KEY', 'SMARTVPS_API_URL', 'SMARTVPS_API_KEY', 'HOSTYCARE_API_URL', 'HOSTYCARE_API_KEY'] as const;

/** Tokens shorter than this are refused in production (a guessable admin token is the whole system). */
const PRODUCTION_TOKEN_LENGTH = 32;

/** What a package lock must have left, beyond a buy's timeout and grace, for a buy to start under it. */
const LOCK_MARGIN_MS = 100;

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

const msList = z.string().transform((value, ctx) => {
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

const whsec = z.string().regex(/^whsec_[A-Za-z0-9+/=]+$/, 'expected a whsec_… secret');
const token = z.string().min(16, 'must be at least 16 characters').regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** `alice:token1,bob:token2`: named admins. */
const adminTokens = z.string().transform((value, ctx) => {
  const admins: { name: string; token: string }[] = [];
  for (const pair of value.split(',').map((part) => part.trim()).filter(Boolean)) {
    const colon = pair.indexOf(':');
    const name = pair.slice(0, colon);
    const parsed = token.safeParse(pair.slice(colon + 1));
    if (colon < 1 || !/^[A-Za-z0-9_.-]{1,40}$/.test(name)) {
      ctx.addIssue({ code: 'custom', message: 'expected name:token pairs separated by commas (names: letters, digits, _ . -)' });
      return z.NEVER;
    }
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: `the token of ${name} ${parsed.error.issues[0]?.message ?? 'is invalid'}` });
      return z.NEVER;
    }
    admins.push({ name, token: parsed.data });
  }
  if (admins.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'expected at least one name:token pair' });
    return z.NEVER;
  }
  return admins;
});

/** `host:port,host:port`: Redis Sentinels. */
const sentinels = z.string().transform((value, ctx) => {
  const nodes = value.split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
    const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(part);
    return match ? { host: match[1] as string, port: Number(match[2]) } : null;
  });
  if (nodes.length === 0 || nodes.some((node) => node === null || node.port < 1 || node.port > 65535)) {
    ctx.addIssue({ code: 'custom', message: 'expected host:port pairs separated by commas' });
    return z.NEVER;
  }
  return nodes as { host: string; port: number }[];
});

/** Express's `trust proxy`: true/false, a hop count, or addresses and subnets (`loopback, 10.0.0.0/8`). */
const trustProxy = z.string().transform((value): boolean | number | string => {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return /^\d+$/.test(value) ? Number(value) : value;
});

const url = z.url({ protocol: /^https?$/ });

export const EnvironmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).optional(),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: int(0, 65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: trustProxy.optional(),
  PUBLIC_URL: url.optional(),
  METRICS_PORT: int(0, 65535).optional(),

  MONGO_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'expected a mongodb:// or mongodb+srv:// URL').optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL').optional(),
  REDIS_SENTINELS: sentinels.optional(),
  REDIS_SENTINEL_NAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  REDIS_LOCK_REPLICAS: int(0, 10).optional(),
  QUEUE_PREFIX: z.string().min(1).default('{vps}'),

  ADMIN_TOKENS: adminTokens.optional(),
  ADMIN_TOKEN: token.optional(),
  APP_TOKEN: token.optional(),
  WEBHOOK_SECRET: whsec.optional(),
  CREDENTIALS_KEY: credentialsKey.optional(),

  EVENTS_URL: url.optional(),
  EVENTS_SECRET: whsec.optional(),
  EVENTS_RETRY_FOR_MS: int(1_000).default(86_400_000 + 3_600_000),
  ALERT_WEBHOOK_URL: url.optional(),

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

/** Where Redis is: one node, or a primary found through Sentinels. */
export type RedisTarget =
  | { kind: 'url'; url: string }
  | { kind: 'sentinel'; sentinels: { host: string; port: number }[]; name: string; password: string | undefined };

export interface AdminCredential {
  name: string;
  token: string;
}

export interface Config {
  env: Environment['NODE_ENV'];
  isProduction: boolean;
  /** The development secrets are in use (NODE_ENV=development or test, nothing real given). */
  usesDevelopmentSecrets: boolean;
  host: string;
  port: number;
  logLevel: Environment['LOG_LEVEL'];
  trustProxy: boolean | number | string | undefined;
  /** Where people reach the admin page (alert links); defaults to the local API address. */
  publicUrl: string | undefined;
  /** Serve the API's /metrics on a port of its own instead of the API's. */
  metricsPort: number | undefined;
  mongoUrl: string | undefined;
  redis: RedisTarget | undefined;
  /** A printable form of `redis` (no password). */
  redisUrl: string | undefined;
  /** Replicas that must acknowledge a package lock before a buy (1 with Sentinels, else 0). */
  lockReplicas: number;
  queuePrefix: string;
  admins: AdminCredential[];
  /** The web app's server: order views, provision requests, credential reveals. */
  appToken: string | undefined;
  webhookSecret: string;
  credentialsKey: Buffer;
  events: { url: string; secret: string; retryForMs: number } | undefined;
  alertWebhookUrl: string | undefined;
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

function invalid(lines: string[]): ConfigError {
  return new ConfigError(`Invalid configuration:\n${lines.map((line) => `  ${line}`).join('\n')}`);
}

/** Parses and validates the environment. Pure: pass `process.env` at the entrypoint, once. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as in docker-compose files that list every variable.
  const raw = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = EnvironmentSchema.safeParse(raw);
  if (!parsed.success) throw invalid(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`));
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  const development = e.NODE_ENV === 'development' || e.NODE_ENV === 'test';

  const admins = [...(e.ADMIN_TOKENS ?? []), ...(e.ADMIN_TOKEN ? [{ name: DEFAULT_ADMIN_NAME, token: e.ADMIN_TOKEN }] : [])];
  const secretsMissing = [
    ...(admins.length === 0 ? ['ADMIN_TOKENS (or ADMIN_TOKEN)'] : []),
    ...(e.WEBHOOK_SECRET ? [] : ['WEBHOOK_SECRET']),
    ...(e.CREDENTIALS_KEY ? [] : ['CREDENTIALS_KEY']),
  ];
  if (!development && secretsMissing.length > 0) {
    throw new ConfigError(
      `Missing ${secretsMissing.join(', ')}. Set them (see .env.example), or run with NODE_ENV=development to use ` +
        'the fixed development secrets (npm run dev does); they are public, so never outside a developer machine.',
    );
  }
  const problems: string[] = [];
  if (isProduction) {
    const missing = [...PRODUCTION_REQUIRED.filter((name) => e[name] === undefined), ...(e.REDIS_URL || e.REDIS_SENTINELS ? [] : ['REDIS_URL (or REDIS_SENTINELS)'])];
    if (missing.length > 0) throw new ConfigError(`Missing required configuration for production: ${missing.join(', ')}`);
    for (const admin of admins) {
      if (admin.token.length < PRODUCTION_TOKEN_LENGTH) problems.push(`${e.ADMIN_TOKENS?.includes(admin) ? 'ADMIN_TOKENS' : 'ADMIN_TOKEN'}: the token of ${admin.name} is shorter than ${PRODUCTION_TOKEN_LENGTH} characters`);
    }
    if (e.APP_TOKEN && e.APP_TOKEN.length < PRODUCTION_TOKEN_LENGTH) problems.push(`APP_TOKEN: shorter than ${PRODUCTION_TOKEN_LENGTH} characters`);
  }
  const names = admins.map((admin) => admin.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate) problems.push(`ADMIN_TOKENS: the admin ${duplicate} is named twice (a lone ADMIN_TOKEN is the admin named ${DEFAULT_ADMIN_NAME})`);
  const tokens = [...admins.map((admin) => admin.token), ...(e.APP_TOKEN ? [e.APP_TOKEN] : [])];
  if (new Set(tokens).size !== tokens.length) problems.push('ADMIN_TOKENS / APP_TOKEN: every admin and the app need a token of their own');
  if (e.REDIS_SENTINELS && !e.REDIS_SENTINEL_NAME) problems.push('REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the name of the monitored primary)');
  if (e.EVENTS_URL && !e.EVENTS_SECRET && !development) problems.push('EVENTS_SECRET: required with EVENTS_URL (a whsec_… secret the receiver verifies with)');
  // A buy may go on at the provider until it times out, and its purchase may show only during the grace
  // after: the package lock must outlive both, or a second buy on the package could start meanwhile.
  if (e.LOCK_TTL_MS < e.PROVIDER_TIMEOUT_MS + e.BUY_GRACE_MS + LOCK_MARGIN_MS) {
    problems.push(
      `LOCK_TTL_MS: must exceed PROVIDER_TIMEOUT_MS + BUY_GRACE_MS by ${LOCK_MARGIN_MS} ms ` +
        `(${e.LOCK_TTL_MS} < ${e.PROVIDER_TIMEOUT_MS} + ${e.BUY_GRACE_MS} + ${LOCK_MARGIN_MS}): a buy must end while the package lock is certainly held`,
    );
  }
  if (problems.length > 0) throw invalid(problems);

  const simulator = e.SIMULATOR_URL?.replace(/\/$/, '');
  const redis: RedisTarget | undefined = e.REDIS_SENTINELS
    ? { kind: 'sentinel', sentinels: e.REDIS_SENTINELS, name: e.REDIS_SENTINEL_NAME as string, password: e.REDIS_PASSWORD }
    : e.REDIS_URL
      ? { kind: 'url', url: e.REDIS_URL }
      : undefined;
  const usesDevelopmentSecrets = development && secretsMissing.length > 0;
  return {
    env: e.NODE_ENV,
    isProduction,
    usesDevelopmentSecrets,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    publicUrl: e.PUBLIC_URL?.replace(/\/$/, ''),
    metricsPort: e.METRICS_PORT,
    mongoUrl: e.MONGO_URL,
    redis,
    redisUrl: e.REDIS_SENTINELS ? `sentinel://${e.REDIS_SENTINELS.map((node) => `${node.host}:${node.port}`).join(',')}/${e.REDIS_SENTINEL_NAME}` : e.REDIS_URL,
    lockReplicas: e.REDIS_LOCK_REPLICAS ?? (e.REDIS_SENTINELS ? 1 : 0),
    queuePrefix: e.QUEUE_PREFIX,
    admins: admins.length > 0 ? admins : [{ name: DEFAULT_ADMIN_NAME, token: DEV_DEFAULTS.ADMIN_TOKEN }],
    appToken: e.APP_TOKEN,
    webhookSecret: e.WEBHOOK_SECRET ?? DEV_DEFAULTS.WEBHOOK_SECRET,
    credentialsKey: e.CREDENTIALS_KEY ?? Buffer.from(DEV_DEFAULTS.CREDENTIALS_KEY, 'hex'),
    events: e.EVENTS_URL ? { url: e.EVENTS_URL, secret: e.EVENTS_SECRET ?? DEV_DEFAULTS.WEBHOOK_SECRET, retryForMs: e.EVENTS_RETRY_FOR_MS } : undefined,
    alertWebhookUrl: e.ALERT_WEBHOOK_URL,
    providers: {
      smartvps: { url: e.SMARTVPS_API_URL ?? (simulator && `${simulator}/smartvps`), apiKey: e.SMARTVPS_API_KEY ?? 'dev-smartvps-key' },
      hostycare: { url: e.HOSTYCARE_API_URL ?? (simulator && `${simulator}/hostycare`), apiKey: e.HOSTYCARE_API_KEY ?? 'dev-hostycare-key' },
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
