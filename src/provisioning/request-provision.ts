import type { Logger } from 'pino';
import { decideProvision } from '../domain/provision-decision';
import { NotProvisionableError, OrderNotFoundError, ProvisionInProgressError, QueueUnavailableError } from '../domain/errors';
import type { AttemptReason } from '../domain/statuses';
import type { OrderState } from '../order-state/order-state';
import { enqueueProvision, findLiveProvisionJob, type ProvisionQueue } from '../queue/provision-queue';

export interface RequestProvisionDeps {
  orders: OrderState;
  queue: ProvisionQueue;
  logger: Logger;
  now?: () => Date;
}

export type RequestProvisionResult = { outcome: 'queued'; orderId: string; jobId: string } | { outcome: 'already_active'; orderId: string };

/** Redis failures become `QueueUnavailableError` (503); nothing was written to MongoDB before them. */
async function queueCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new QueueUnavailableError('The provisioning queue (Redis) is unavailable; nothing was changed. Try again shortly.', {
      cause: error instanceof Error ? error.message : String(error),
    });
  }
}

/**
 * Asks for an order to be provisioned now (admin Provision/Retry, or the sweeper): decides by the
 * shared rules, enqueues (collapsing into a live job), then marks the order `queued`. The order is
 * written only after the job exists, so a Redis outage leaves it untouched.
 */
export async function requestProvision(deps: RequestProvisionDeps, orderId: string, reason: AttemptReason): Promise<RequestProvisionResult> {
  const now = deps.now?.() ?? new Date();
  const order = await deps.orders.load(orderId);
  const liveJob = order ? await queueCall(() => findLiveProvisionJob(deps.queue, orderId)) : null;
  const decision = decideProvision(order, liveJob, now);
  switch (decision.kind) {
    case 'not_found':
      throw new OrderNotFoundError(`Order ${orderId} was not found.`);
    case 'already_active':
      return { outcome: 'already_active', orderId };
    case 'not_provisionable':
      throw new NotProvisionableError(decision.message);
    case 'in_progress':
      throw new ProvisionInProgressError(decision.message, decision.jobId, decision.state);
    case 'enqueue':
      break;
  }
  if (decision.stuck) {
    deps.logger.warn({ orderId, provisioningStatus: order?.provisioningStatus, reason }, 'order was stuck with no live job; enqueuing it again');
  }
  const enqueued = await queueCall(() => enqueueProvision(deps.queue, orderId, reason, now));
  if (!enqueued.created) {
    // Another request enqueued between our look and our add: answer as if we had seen its job.
    const live = await queueCall(() => findLiveProvisionJob(deps.queue, orderId));
    const again = decideProvision(order, live ?? { id: enqueued.jobId, state: 'waiting', startedAt: now }, now);
    if (again.kind === 'in_progress') throw new ProvisionInProgressError(again.message, again.jobId, again.state);
  }
  // Only if nothing touched the order since we read it: a fast worker may already have taken it (fence
  // moved) or even failed it (status moved), and its word wins.
  if (order) await deps.orders.markQueued(order, reason, now);
  return { outcome: 'queued', orderId, jobId: enqueued.jobId };
}
