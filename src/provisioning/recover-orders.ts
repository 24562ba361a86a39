import type { Logger } from 'pino';
import type { Alerts } from '../alerts/alerts';
import type { AuditLog } from '../audit/audit-log';
import type { EventDispatch } from '../events/order-events';
import { ProvisionInProgressError, QueueUnavailableError } from '../domain/errors';
import { isActiveWithIp } from '../domain/statuses';
import type { OrderSnapshot, OrderState } from '../order-state/order-state';
import { findLiveProvisionJob, type ProvisionQueue } from '../queue/provision-queue';
import { requestProvision } from './request-provision';

export interface RecoverDeps {
  orders: OrderState;
  /** Where the sweeper's actions are recorded (actor `sweeper`). */
  audit?: AuditLog;
  /** Operators hear of every order found stuck. */
  alerts?: Alerts;
  /** The web app hears of orders the sweeper fails (order.failed). */
  events?: EventDispatch;
  queue: ProvisionQueue;
  logger: Logger;
  stuckAfterMs: number;
  now?: () => Date;
}

export interface RecoverySummary {
  checked: number;
  reenqueued: number;
  failed: number;
}

/**
 * Finds paid orders that asked for provisioning but have no live job and no final status (Redis lost
 * the job, a process died, an enqueue failed): re-enqueues them, or, when nothing has happened to
 * them for `stuckAfterMs`, marks them failed with the reason so an admin can Retry.
 */
export async function recoverOrders(deps: RecoverDeps): Promise<RecoverySummary> {
  const now = deps.now?.() ?? new Date();
  const summary: RecoverySummary = { checked: 0, reenqueued: 0, failed: 0 };
  let batch: OrderSnapshot[] = [];
  // Every request marks the order `queued` (the webhook before enqueuing), so unfinished means queued or provisioning.
  for await (const order of deps.orders.unfinished()) {
    // Active with an IP is done, whatever its provisioning status says (an order the web app wrote so).
    if (isActiveWithIp(order)) continue;
    batch.push(order);
    if (batch.length === BATCH) {
      await recoverBatch(deps, batch, now, summary);
      batch = [];
    }
  }
  await recoverBatch(deps, batch, now, summary);
  return summary;
}

/** How many orders are checked for a live job at once (the Redis look-ups run concurrently). */
const BATCH = 200;

async function recoverBatch(deps: RecoverDeps, batch: OrderSnapshot[], now: Date, summary: RecoverySummary): Promise<void> {
  summary.checked += batch.length;
  const live = await Promise.all(batch.map((order) => findLiveProvisionJob(deps.queue, order.id)));
  const orphans = batch.filter((_order, index) => !live[index]);
  // Several at a time: after Redis lost its data every unfinished order is an orphan, and one by one,
  // four round trips each, recovering them takes longer than a worker process may live.
  await forEachConcurrently(orphans, RECOVER_CONCURRENCY, async (order) => {
    // Orders written by the web app may lack updatedAt: then their last attempt says when they last moved.
    const lastMoved = order.updatedAt ?? order.lastProvisionAttempt;
    const idleMs = now.getTime() - (lastMoved ? lastMoved.getTime() : 0);
    if (idleMs >= deps.stuckAfterMs) {
      if (await markStalled(deps, order, now, idleMs)) summary.failed += 1;
      return;
    }
    try {
      const result = await requestProvision({ ...deps, now: () => now }, order.id, 'recovery');
      if (result.outcome === 'queued') summary.reenqueued += 1;
      await deps.audit?.record({ actor: 'sweeper', action: 'recover', orderId: order.id, outcome: result.outcome, details: { was: order.provisioningStatus } });
      deps.alerts?.note('stuck', { orderId: order.id, text: `was ${order.provisioningStatus} with no job; enqueued again` });
      deps.logger.warn({ orderId: order.id, provisioningStatus: order.provisioningStatus }, 'recovered an order with no live job: enqueued again');
    } catch (error) {
      // A request or worker got there between our look and our enqueue: nothing to recover.
      if (error instanceof ProvisionInProgressError) return;
      // One bad order must not stop the sweep for the others; Redis or MongoDB being down still does.
      if (error instanceof QueueUnavailableError) throw error;
      deps.logger.error({ err: error, orderId: order.id }, 'could not recover this order; the next sweep tries again');
    }
  });
}

/** How many orphans are re-enqueued (or marked failed) at once. */
const RECOVER_CONCURRENCY = 20;

/** Runs `task` over `items`, `limit` at a time; after the first failure no new item starts, and it is rethrown. */
async function forEachConcurrently<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

async function markStalled(deps: RecoverDeps, order: OrderSnapshot, now: Date, idleMs: number): Promise<boolean> {
  const minutes = Math.round(idleMs / 60_000);
  const message = `Provisioning stalled: no job ran for this order for ${minutes} min (the queue lost it or a worker died). Press Retry to provision it.`;
  const eventId = await deps.orders.markStalled(order, message, { at: now, reason: 'recovery', jobId: 'sweeper', attempt: 0, outcome: 'failed', error: message, durationMs: 0 });
  if (eventId) {
    await deps.events?.dispatch(order.id, eventId);
    deps.logger.error({ orderId: order.id, idleMs }, 'order stalled with no live job: marked failed');
    await deps.audit?.record({ actor: 'sweeper', action: 'mark_stalled', orderId: order.id, outcome: 'failed', details: { idleMinutes: minutes } });
    deps.alerts?.note('stuck', { orderId: order.id, text: `no job for ${minutes} min; marked failed, press Retry` });
  }
  return eventId !== null;
}
