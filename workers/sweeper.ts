import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { Mutex } from 'redis-semaphore';
import type { Config } from '../src/config';
import { sweeperLastRunKey, type Alerts } from '../src/alerts/alerts';
import type { AuditLog } from '../src/audit/audit-log';
import { resendLostEvents, type EventDispatch, type OrderEventsQueue } from '../src/events/order-events';
import type { OrderState } from '../src/order-state/order-state';
import type { Logger } from '../src/observability/logger';
import type { Metrics } from '../src/observability/metrics';
import { recoverOrders } from '../src/provisioning/recover-orders';
import type { ProvisionQueue } from '../src/queue/provision-queue';
import { SWEEP_JOB, SWEEPER_QUEUE } from '../src/queue/sweeper-queue';

const SCHEDULER_ID = 'recovery-sweep';

export interface RunningSweeper {
  queue: Queue;
  worker: Worker;
  close(): Promise<void>;
}

/**
 * The recovery sweeper as a BullMQ job scheduler: every SWEEP_INTERVAL_MS one sweep job is made, and
 * a single worker across all processes runs it (the queue hands each job to one worker). Every process
 * re-asserts the scheduler each interval, so it survives a Redis that lost its data.
 */
export async function startSweeper(deps: {
  config: Config;
  connection: Redis;
  queue: ProvisionQueue;
  orders: OrderState;
  audit: AuditLog;
  alerts: Alerts;
  /** With EVENTS_URL: order events whose delivery job Redis lost are sent again. */
  events: { queue: OrderEventsQueue; dispatch: EventDispatch; retryForMs: number } | null;
  logger: Logger;
  metrics: Metrics;
}): Promise<RunningSweeper> {
  const { config, connection, logger, metrics } = deps;
  const every = config.worker.sweepIntervalMs;
  const queue = new Queue(SWEEPER_QUEUE, {
    connection,
    prefix: config.queuePrefix,
    defaultJobOptions: { removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
  });
  queue.on('error', (error) => logger.warn({ err: error }, 'sweeper queue connection error'));
  const schedule = () => queue.upsertJobScheduler(SCHEDULER_ID, { every }, { name: SWEEP_JOB });
  await schedule();
  const reassert = setInterval(() => {
    schedule().catch((error: unknown) => logger.warn({ err: error }, 'could not re-assert the sweeper schedule'));
  }, every);
  reassert.unref();

  const worker = new Worker(
    SWEEPER_QUEUE,
    async () => {
      // A sweep that outlasts the interval must not overlap the next one in another process. The lock
      // is renewed while the sweep runs, so its TTL only says how soon a dead sweeper's lock frees: as
      // soon as a dead worker's jobs are taken up again, not after a whole interval (or 30 s) of no sweeps.
      const lockTimeout = config.worker.jobLockMs;
      const mutex = new Mutex(connection, `${config.queuePrefix}:sweeper-lock`, {
        lockTimeout,
        refreshInterval: Math.max(50, Math.floor(lockTimeout / 3)),
        acquireAttemptsLimit: 1,
        // The default throws from a timer, which kills the process; losing it (Redis lost its data)
        // only means another sweep may overlap this one, which is harmless.
        onLockLost: (error) => logger.warn({ err: error }, 'sweeper lock lost; this sweep finishes anyway'),
      });
      if (!(await mutex.tryAcquire())) return { skipped: 'another sweep is running' };
      try {
        // Stamped first: a sweep that runs long (or fails) still shows the sweeper is alive.
        await connection.set(sweeperLastRunKey(config.queuePrefix), String(Date.now()), 'PX', 24 * 3600_000);
        const summary = await recoverOrders({
          orders: deps.orders,
          queue: deps.queue,
          audit: deps.audit,
          alerts: deps.alerts,
          ...(deps.events ? { events: deps.events.dispatch } : {}),
          logger,
          stuckAfterMs: config.worker.stuckAfterMs,
        });
        const resentEvents = deps.events ? await resendLostEvents({ orders: deps.orders, ...deps.events, lostAfterMs: every }) : 0;
        if (resentEvents) logger.warn({ resentEvents }, 'order events whose delivery job was lost: sent again');
        if (summary.reenqueued) metrics.sweeperRecovered.inc({ action: 'reenqueued' }, summary.reenqueued);
        if (summary.failed) metrics.sweeperRecovered.inc({ action: 'failed' }, summary.failed);
        return { ...summary, resentEvents };
      } finally {
        await mutex.release().catch(() => undefined);
      }
    },
    { connection, prefix: config.queuePrefix, concurrency: 1 },
  );
  worker.on('error', (error) => logger.error({ err: error }, 'sweeper worker error'));

  return {
    queue,
    worker,
    close: async () => {
      clearInterval(reassert);
      await worker.close();
      await queue.close();
    },
  };
}
