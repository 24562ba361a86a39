import { DelayedError, UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createAlerts, NO_ALERTS, watchSweeper, type Alerts } from '../src/alerts/alerts';
import { createAuditLog } from '../src/audit/audit-log';
import { createOrderEventsQueue, eventDispatch, NO_EVENTS, startEventDelivery } from '../src/events/order-events';
import { loadConfigOrExit, type Config, type RedisTarget } from '../src/config';
import { connectDatabase, type Database } from '../src/db/connection';
import { isDatabaseUnavailable } from '../src/db/errors';
import { stagedBackoffMs } from '../src/domain/backoff';
import { runShutdown, exitOnSignals } from '../src/lifecycle/shutdown';
import { createPackageLocks } from '../src/locks/package-lock';
import { createProviderPauses } from '../src/locks/provider-pauses';
import { createLogger, type Logger } from '../src/observability/logger';
import { createMetrics, QUEUE_DEPTH_STATES, type Metrics } from '../src/observability/metrics';
import { checkReadiness } from '../src/observability/readiness';
import { serveOpsHttp } from '../src/observability/ops-http';
import { createProviderClients } from '../src/providers';
import type { ProviderClient, ProviderName } from '../src/providers/types';
import {
  MAX_ATTEMPT_DEATHS,
  provisionOrder,
  type PollStep,
  type ProvisionDeps,
  type ProvisionOutcome,
  type ProvisionPayload,
} from '../src/provisioning/provision-order';
import {
  createProvisionQueue,
  moveAhead,
  PROVISION_QUEUE,
  ProvisionJobDataSchema,
  STAGED_BACKOFF,
  type ProvisionJob,
  type ProvisionJobData,
  type ProvisionQueue,
} from '../src/queue/provision-queue';
import { createRedis } from '../src/queue/redis';
import { startSweeper, type RunningSweeper } from './sweeper';

export interface ProvisionWorkerOptions {
  config: Config;
  /** Where Redis is (the config's, or a test's). */
  redis: RedisTarget | string;
  db: Database;
  providers: Record<ProviderName, ProviderClient>;
  logger: Logger;
  metrics: Metrics;
  /** Run the recovery sweeper in this process too (default true; one runner at a time across processes anyway). */
  sweeper?: boolean;
  /** Where final failures and stuck orders are told (default: nowhere). */
  alerts?: Alerts;
  /** Deliver order events in this process too, when EVENTS_URL is set (default true). */
  deliverEvents?: boolean;
}

export interface RunningProvisionWorker {
  worker: Worker;
  /** The worker's Redis connection (its `/readyz` pings it). */
  redis: Redis;
  queue: ProvisionQueue;
  sweeper: RunningSweeper | null;
  /** The deliveries of order events (EVENTS_URL set), for bull-board. */
  eventsQueue: Queue | null;
  /**
   * Stops taking jobs, hands running attempts back, and closes its connections, within
   * SHUTDOWN_TIMEOUT_MS whatever a job or connection does. Resolves true when everything stopped in time.
   */
  close(): Promise<boolean>;
}

/** A woken lock waiter still finishing its last try is looked at again this often, this many times. */
const WAKE_TRIES = 10;
const WAKE_RETRY_MS = 10;

/** How long a job whose step met a MongoDB outage waits before running again (no attempt used). */
const DATABASE_RETRY_DELAY_MS = 5_000;

/** How long a buy waits for a replica to acknowledge the package lock before postponing instead. */
const LOCK_REPLICA_WAIT_MS = 500;

/** A transient failure whose retry delay provisionOrder already chose (and wrote on the order). */
class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** The job's data as provisionOrder reads it (dates revived). */
function toPayload(job: ProvisionJob, data: ProvisionJobData): ProvisionPayload {
  const newDeaths = job.stalledCounter - (data.stallsSeen ?? 0);
  return {
    orderId: data.orderId,
    reason: data.reason,
    jobId: job.id as string,
    attempt: job.attemptsMade + 1,
    maxAttempts: job.opts.attempts ?? 1,
    ...(data.target ? { target: data.target } : {}),
    ...(data.lockWaitSince ? { lockWaitSince: new Date(data.lockWaitSince) } : {}),
    ...(data.rateLimit ? { rateLimit: { since: new Date(data.rateLimit.since), message: data.rateLimit.message } } : {}),
    ...(newDeaths > 0 ? { newDeaths } : {}),
    ...(data.poll
      ? {
          poll: {
            ...data.poll,
            attemptStartedAt: new Date(data.poll.attemptStartedAt),
            acceptedAt: new Date(data.poll.acceptedAt ?? data.poll.attemptStartedAt),
          },
        }
      : {}),
  };
}

/** The job's data for its next run after `outcome`: what a wait or a poll carries over, nothing else. */
function nextData(base: ProvisionJobData, outcome: ProvisionOutcome, stallsSeen: number): ProvisionJobData {
  const { orderId, reason, requestedAt, target } = base;
  const next: ProvisionJobData = { orderId, reason, requestedAt, ...(target ? { target } : {}), ...(stallsSeen > 0 ? { stallsSeen } : {}) };
  if (outcome.kind === 'postpone' && outcome.lockWaitSince) next.lockWaitSince = outcome.lockWaitSince.toISOString();
  if ((outcome.kind === 'postpone' || outcome.kind === 'park') && outcome.rateLimit) {
    next.rateLimit = { since: outcome.rateLimit.since.toISOString(), message: outcome.rateLimit.message };
  }
  if (outcome.kind === 'park') next.poll = serialisePoll(outcome.poll);
  return next;
}

function serialisePoll(poll: PollStep): NonNullable<ProvisionJobData['poll']> {
  return { ...poll, attemptStartedAt: poll.attemptStartedAt.toISOString(), acceptedAt: poll.acceptedAt.toISOString() };
}

/**
 * Starts a BullMQ worker for the provision queue: a thin wrapper that validates the job, runs one step
 * of `provisionOrder`, and turns its outcome into BullMQ's terms (wait without an attempt, park between
 * polls, retry after the delay provisionOrder chose, or fail for good).
 */
export async function startProvisionWorker(options: ProvisionWorkerOptions): Promise<RunningProvisionWorker> {
  const { config, logger, metrics } = options;
  const alerts = options.alerts ?? NO_ALERTS;
  const stages = config.worker.backoffMs;
  const connection: Redis = createRedis(options.redis, 'worker');
  const queue = createProvisionQueue({ connection, prefix: config.queuePrefix, attempts: config.worker.attempts });
  queue.on('error', (error) => logger.warn({ err: error }, 'queue connection error'));
  const shutdown = new AbortController();

  const locks = createPackageLocks(connection, {
    prefix: config.queuePrefix,
    ttlMs: config.worker.lockTtlMs,
    // With replicas, a lock counts before a buy only once a replica has it: a failover cannot lose it then.
    ...(config.lockReplicas > 0 ? { replicas: { count: config.lockReplicas, timeoutMs: LOCK_REPLICA_WAIT_MS } } : {}),
    wake: async (jobId) => {
      // A waiter that has just found the lock busy may still be on its way to delayed: give it a moment
      // rather than lose the wake-up (the package would sit idle until its retry delay ran out).
      for (let tries = 0; tries < WAKE_TRIES; tries += 1) {
        const job = await queue.getJob(jobId);
        if (!job) return false;
        const state = await job.getState();
        if (state === 'delayed') {
          await moveAhead(job);
          return job.promote().then(
            () => true,
            () => false,
          );
        }
        if (state !== 'active') return state === 'waiting' || state === 'prioritized';
        await sleep(WAKE_RETRY_MS);
      }
      return false;
    },
  });

  // Events for the web app (EVENTS_URL): queued by the attempts, delivered by a worker in this process.
  const eventsQueue = config.events ? createOrderEventsQueue({ connection, prefix: config.queuePrefix, retryForMs: config.events.retryForMs }) : null;
  eventsQueue?.on('error', (error) => logger.warn({ err: error }, 'order events queue error'));
  const events = eventsQueue ? eventDispatch(eventsQueue, logger) : NO_EVENTS;
  const eventDelivery =
    config.events && options.deliverEvents !== false
      ? startEventDelivery({ connection, prefix: config.queuePrefix, orders: options.db.orderState, ...config.events, logger, metrics })
      : null;

  const baseDeps: Omit<ProvisionDeps, 'job'> = {
    orders: options.db.orderState,
    providers: options.providers,
    locks,
    pauses: createProviderPauses(connection, config.queuePrefix),
    events,
    credentialsKey: config.credentialsKey,
    logger,
    clock: { now: () => new Date(), sleep },
    signal: shutdown.signal,
    settings: {
      pollIntervalMs: config.providers.pollIntervalMs,
      pollTimeoutMs: config.providers.pollTimeoutMs,
      lockMaxWaitMs: config.worker.lockMaxWaitMs,
      lockRetryDelayMs: config.worker.lockRetryDelayMs,
      buyLockValidityMs: config.providers.timeoutMs + config.providers.buyGraceMs,
      buyGraceMs: config.providers.buyGraceMs,
      rateLimitMaxWaitMs: config.providers.rateLimitMaxWaitMs,
      backoffMs: (attempt) => stagedBackoffMs(attempt, stages),
    },
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
    try {
      await runStep(job, token);
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      // Not the order's fault: MongoDB is down. The step runs again later, as it was, with no attempt
      // used; whatever it wrote before is fenced, and what it could not write it will write then.
      logger.warn({ err: error, jobId: job.id, orderId: job.data.orderId }, 'MongoDB is unavailable; putting the job off');
      await job.moveToDelayed(Date.now() + DATABASE_RETRY_DELAY_MS, token);
      throw new DelayedError();
    }
  }

  async function runStep(job: ProvisionJob, token?: string): Promise<void> {
    const parsed = ProvisionJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`Invalid job data: ${parsed.error.message}`);
    let data = parsed.data;
    const outcome = await provisionOrder(toPayload(job, data), {
      ...baseDeps,
      job: {
        lockHeld: async () => {
          if (!data.lockWaitSince) return;
          const { lockWaitSince: _over, ...rest } = data;
          data = rest;
          await job.updateData(data);
        },
        deathsRecorded: async () => {
          data = { ...data, stallsSeen: job.stalledCounter };
          await job.updateData(data);
        },
      },
    });
    const next = nextData(data, outcome, job.stalledCounter);
    if (outcome.kind === 'fail') alerts.note('failed', { orderId: data.orderId, text: outcome.error });
    switch (outcome.kind) {
      case 'done':
        return;
      case 'postpone':
      case 'park':
        // Runs again after the delay without using an attempt or holding a slot meanwhile; a package
        // lock's release wakes a postponed job sooner. A parked poll goes ahead of new jobs.
        await job.updateData(next);
        if (outcome.kind === 'park') await moveAhead(job);
        await job.moveToDelayed(Date.now() + outcome.delayMs, token);
        throw new DelayedError();
      case 'retry':
        await job.updateData(next);
        throw new RetryLaterError(outcome.error, outcome.delayMs);
      case 'fail':
        throw new UnrecoverableError(outcome.error);
      case 'abort':
        if (outcome.why === 'shutdown') {
          // Hand the job back at once, attempt unused; another worker resumes it.
          await job.updateData(next);
          await job.moveToDelayed(Date.now(), token);
          throw new DelayedError();
        }
        return;
    }
  }

  const worker = new Worker<ProvisionJobData, void>(PROVISION_QUEUE, (job, token) => processJob(job as ProvisionJob, token), {
    connection,
    prefix: config.queuePrefix,
    concurrency: config.worker.concurrency,
    lockDuration: config.worker.jobLockMs,
    stalledInterval: config.worker.jobLockMs,
    // The run after the last allowed stall still comes to us, and fails the order with the reason.
    maxStalledCount: MAX_ATTEMPT_DEATHS,
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string, error?: Error) => {
        if (type !== STAGED_BACKOFF) return 0;
        // The delay provisionOrder chose and wrote on the order as nextAttemptAt; anything else (a
        // database outage mid-attempt) gets the staged delay.
        return error instanceof RetryLaterError ? error.delayMs : stagedBackoffMs(attemptsMade, stages);
      },
    },
  });
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
  worker.on('failed', (job: Job | undefined, error) => {
    if (job) logger.debug({ jobId: job.id, orderId: (job.data as { orderId?: string }).orderId, error: error.message }, 'job attempt failed');
  });

  const sweeperAudit = createAuditLog(options.db.auditEvents, logger);
  const sweeper =
    options.sweeper === false
      ? null
      : await startSweeper({
          config,
          connection,
          queue,
          orders: options.db.orderState,
          audit: sweeperAudit,
          alerts,
          events: eventsQueue ? { queue: eventsQueue, dispatch: events, retryForMs: (config.events as { retryForMs: number }).retryForMs } : null,
          logger,
          metrics,
        });

  let closing: Promise<boolean> | undefined;
  function close(): Promise<boolean> {
    closing ??= runShutdown(
      [
        {
          name: 'provision worker',
          run: () => {
            // Stop taking jobs, then abort the running attempts so they hand their jobs back.
            const closed = worker.close();
            shutdown.abort(new Error('worker shutting down'));
            return closed;
          },
        },
        { name: 'recovery sweeper', run: async () => sweeper?.close() },
        { name: 'audit entries', run: () => sweeperAudit.flush() },
        { name: 'order event delivery', run: async () => eventDelivery?.close() },
        { name: 'order events queue', run: async () => eventsQueue?.close() },
        { name: 'provision queue', run: () => queue.close() },
        { name: 'redis', run: () => connection.quit() },
      ],
      config.worker.shutdownTimeoutMs,
      logger,
    ).then((clean) => {
      // Whatever did not stop in time, nothing of it may keep the process (or a test) alive.
      if (!clean) connection.disconnect();
      return clean;
    });
    return closing;
  }

  return { worker, redis: connection, queue, sweeper, eventsQueue, close };
}

/** `npm run worker`: one worker process (run any number, on any number of machines). */
async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const logger = createLogger({ level: config.logLevel, name: 'worker' });
  // A library timer that rejects (a lock renewal during a Redis failover) must not kill the worker:
  // what it guarded is fenced, and the lock's loss is signalled separately.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  if (!config.mongoUrl || !config.redis) {
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
  const alertsRedis = createRedis(config.redis, 'worker');
  const alerts = config.alertWebhookUrl
    ? createAlerts({ redis: alertsRedis, prefix: config.queuePrefix, url: config.alertWebhookUrl, publicUrl: config.publicUrl ?? `http://127.0.0.1:${config.port}`, logger, metrics })
    : NO_ALERTS;
  const sweeperWatch = watchSweeper({ redis: alertsRedis, prefix: config.queuePrefix, sweepIntervalMs: config.worker.sweepIntervalMs, alerts, logger });
  const running = await startProvisionWorker({ config, redis: config.redis, db, providers, logger, metrics, alerts });
  metrics.watchQueueDepth(() => running.queue.getJobCounts(...QUEUE_DEPTH_STATES));
  const http =
    config.worker.metricsPort === undefined
      ? null
      : await serveOpsHttp({
          registry: metrics.registry,
          readiness: () => checkReadiness({ mongo: db.connection, redis: running.redis }),
          host: config.host,
          port: config.worker.metricsPort,
        });
  logger.info({ concurrency: config.worker.concurrency, metricsPort: http?.port }, 'worker started');

  // One bounded, ordered stop: the worker (and its connections) first, then what it used.
  exitOnSignals(
    async () => {
      const started = Date.now();
      const workerClean = await running.close();
      const left = Math.max(0, config.worker.shutdownTimeoutMs - (Date.now() - started));
      const restClean = await runShutdown(
        [
          { name: 'health and metrics', run: async () => http?.close() },
          { name: 'alerts', run: async () => (sweeperWatch.stop(), alerts.close()) },
          { name: 'alerts redis', run: () => alertsRedis.quit() },
          { name: 'mongodb', run: () => db.close() },
        ],
        left,
        logger,
      );
      return workerClean && restClean;
    },
    { timeoutMs: config.worker.shutdownTimeoutMs, logger },
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
