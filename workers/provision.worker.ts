import { createHash } from 'node:crypto';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { loadConfigOrExit, type Config } from '../src/config';
import { connectDatabase, type Database } from '../src/db/connection';
import { stagedBackoffMs } from '../src/domain/backoff';
import { createPackageLocks } from '../src/locks/package-lock';
import { createLogger, type Logger } from '../src/observability/logger';
import { createMetrics, type Metrics } from '../src/observability/metrics';
import { serveMetrics } from '../src/observability/metrics-server';
import { createProviderClients } from '../src/providers';
import type { ProviderClient, ProviderName } from '../src/providers/types';
import { provisionOrder, type ProvisionDeps } from '../src/provisioning/provision-order';
import {
  createProvisionQueue,
  PROVISION_QUEUE,
  ProvisionJobDataSchema,
  STAGED_BACKOFF,
  type ProvisionJob,
  type ProvisionQueue,
} from '../src/queue/provision-queue';
import { createRedis } from '../src/queue/redis';
import { startSweeper, type RunningSweeper } from './sweeper';

export interface ProvisionWorkerOptions {
  config: Config;
  redisUrl: string;
  db: Database;
  providers: Record<ProviderName, ProviderClient>;
  logger: Logger;
  metrics: Metrics;
  /** Run the recovery sweeper in this process too (default true; one runner at a time across processes anyway). */
  sweeper?: boolean;
}

export interface RunningProvisionWorker {
  worker: Worker;
  queue: ProvisionQueue;
  sweeper: RunningSweeper | null;
  /** Stops taking jobs, hands running attempts back, and closes connections, within the shutdown limit. */
  close(): Promise<void>;
}

/** The same jitter for the same job and attempt, so the order's `nextAttemptAt` matches the queue's delay. */
function jitterFor(jobId: string, attemptsMade: number): () => number {
  const digest = createHash('sha256').update(`${jobId}#${attemptsMade}`).digest();
  return () => digest.readUInt32BE(0) / 0x1_0000_0000;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Starts a BullMQ worker for the provision queue: a thin wrapper that validates the job, runs
 * `provisionOrder`, and turns its outcome into BullMQ's terms (delay without an attempt, retry with
 * the staged backoff, or fail for good).
 */
export async function startProvisionWorker(options: ProvisionWorkerOptions): Promise<RunningProvisionWorker> {
  const { config, logger, metrics } = options;
  const stages = config.worker.backoffMs;
  const connection: Redis = createRedis(options.redisUrl, 'worker');
  const queue = createProvisionQueue({ connection, prefix: config.queuePrefix, attempts: config.worker.attempts });
  queue.on('error', (error) => logger.warn({ err: error }, 'queue connection error'));
  const shutdown = new AbortController();

  const locks = createPackageLocks(connection, {
    prefix: config.queuePrefix,
    ttlMs: config.worker.lockTtlMs,
    wake: async (jobId) => {
      const job = await queue.getJob(jobId);
      if (!job) return false;
      return job.promote().then(
        () => true,
        () => false,
      );
    },
  });

  const baseDeps: Omit<ProvisionDeps, 'settings'> = {
    orders: options.db.orders,
    providers: options.providers,
    locks,
    credentialsKey: config.credentialsKey,
    logger,
    clock: { now: () => new Date(), sleep },
    signal: shutdown.signal,
    observe: {
      attemptFinished: (outcome, provider, durationMs) => {
        metrics.jobs.inc({ outcome, provider });
        metrics.attemptDuration.observe({ outcome, provider }, durationMs / 1000);
      },
      lockAcquired: (packageName, waitedMs) => metrics.lockWait.observe({ package: packageName }, waitedMs / 1000),
      lockBusy: (packageName) => metrics.lockPostponed.inc({ package: packageName }),
    },
  };

  async function processJob(job: ProvisionJob, token?: string): Promise<void> {
    const parsed = ProvisionJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`Invalid job data: ${parsed.error.message}`);
    const jobId = job.id as string;
    const outcome = await provisionOrder(
      {
        orderId: parsed.data.orderId,
        reason: parsed.data.reason,
        jobId,
        attempt: job.attemptsMade + 1,
        maxAttempts: job.opts.attempts ?? 1,
        ...(parsed.data.lockWaitSince ? { lockWaitSince: new Date(parsed.data.lockWaitSince) } : {}),
      },
      {
        ...baseDeps,
        settings: {
          pollIntervalMs: config.providers.pollIntervalMs,
          pollTimeoutMs: config.providers.pollTimeoutMs,
          lockMaxWaitMs: config.worker.lockMaxWaitMs,
          backoffMs: (attempt) => stagedBackoffMs(attempt, stages, jitterFor(jobId, attempt)),
        },
      },
    );
    if (outcome.kind !== 'postpone' && parsed.data.lockWaitSince) {
      // The wait is over: a later attempt that finds the lock busy starts a fresh LOCK_MAX_WAIT_MS.
      const { lockWaitSince: _done, ...rest } = parsed.data;
      await job.updateData(rest);
    }
    switch (outcome.kind) {
      case 'done':
        return;
      case 'postpone':
        // Wait for the package lock without using an attempt; a release wakes the job sooner.
        await job.updateData({ ...parsed.data, lockWaitSince: outcome.lockWaitSince.toISOString() });
        await job.moveToDelayed(Date.now() + config.worker.lockRetryDelayMs, token);
        throw new DelayedError();
      case 'retry':
        throw new Error(outcome.error);
      case 'fail':
        throw new UnrecoverableError(outcome.error);
      case 'abort':
        if (outcome.why === 'shutdown') {
          // Hand the job back at once, attempt unused; another worker resumes it.
          await job.moveToDelayed(Date.now(), token);
          throw new DelayedError();
        }
        return;
    }
  }

  const worker = new Worker<ProvisionJob['data'], void>(PROVISION_QUEUE, (job, token) => processJob(job as ProvisionJob, token), {
    connection,
    prefix: config.queuePrefix,
    concurrency: config.worker.concurrency,
    lockDuration: config.worker.jobLockMs,
    stalledInterval: config.worker.jobLockMs,
    // A job whose worker died is taken up again; after several deaths it fails and the sweeper recovers the order.
    maxStalledCount: 3,
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string, _err?: Error, job?: { id?: string }) => {
        if (type !== STAGED_BACKOFF) return 0;
        return stagedBackoffMs(attemptsMade, stages, jitterFor(job?.id ?? '', attemptsMade));
      },
    },
  });
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
  worker.on('failed', (job: Job | undefined, error) => {
    if (job) logger.debug({ jobId: job.id, orderId: (job.data as { orderId?: string }).orderId, error: error.message }, 'job attempt failed');
  });

  const sweeper = options.sweeper === false ? null : await startSweeper({ config, connection, queue, orders: options.db.orders, logger, metrics });

  let closing: Promise<void> | undefined;
  async function close(): Promise<void> {
    closing ??= (async () => {
      // Stop taking jobs first, then abort the running attempts so they hand their jobs back.
      const graceful = worker.close();
      shutdown.abort(new Error('worker shutting down'));
      await sweeper?.close();
      // worker.close() waits for running jobs without a limit; bound it, then force.
      const timedOut = await Promise.race([
        graceful.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(resolve, config.worker.shutdownTimeoutMs, true).unref()),
      ]);
      if (timedOut) {
        logger.warn('worker did not stop in time; forcing');
        await worker.close(true);
      }
      await queue.close();
      await connection.quit().catch(() => connection.disconnect());
    })();
    return closing;
  }

  return { worker, queue, sweeper, close };
}

/** `npm run worker`: one worker process (run any number, on any number of machines). */
async function main(): Promise<void> {

  const config = loadConfigOrExit(process.env);
  const logger = createLogger({ level: config.logLevel, name: 'worker' });
  // A library timer that rejects (a lock renewal during a Redis failover) must not kill the worker:
  // what it guarded is fenced, and the lock's loss is signalled separately.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  if (!config.mongoUrl || !config.redisUrl) {
    logger.fatal('MONGO_URL and REDIS_URL must be set for a worker (the dev stack prints both).');
    process.exit(1);
  }
  const metrics = createMetrics({ defaultMetrics: true });
  const db = await connectDatabase(config.mongoUrl);
  const providers = createProviderClients({
    smartvps: config.providers.smartvps,
    hostycare: config.providers.hostycare,
    timeoutMs: config.providers.timeoutMs,
    onCall: ({ provider, operation, outcome, durationMs }) => metrics.providerCall.observe({ provider, operation, outcome }, durationMs / 1000),
  });
  const running = await startProvisionWorker({ config, redisUrl: config.redisUrl, db, providers, logger, metrics });
  const metricsServer = config.worker.metricsPort === undefined ? null : await serveMetrics(metrics.registry, config.host, config.worker.metricsPort);
  logger.info({ concurrency: config.worker.concurrency, metricsPort: metricsServer?.port }, 'worker started');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping worker');
    await running.close();
    await metricsServer?.close();
    await db.close();
    logger.info('worker stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
