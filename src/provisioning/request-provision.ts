import type { Logger } from 'pino';
import { decideProvision } from '../domain/provision-decision';
import { NotProvisionableError, OrderNotFoundError, ProvisionInProgressError, QueueUnavailableError } from '../domain/errors';
import type { AttemptReason } from '../domain/statuses';
import type { OrderState } from '../order-state/order-state';
import { enqueueProvision, findLiveProvisionJob, moveAhead, type ProvisionQueue } from '../queue/provision-queue';

export interface RequestProvisionDeps {
  orders: OrderState;
  queue: ProvisionQueue;
  logger: Logger;
  now?: () => Date;
}

export type RequestProvisionResult =
  | { outcome: 'queued'; orderId: string; jobId: string }
  /** Retry now: the order's delayed job was moved forward to run at once. */
  | { outcome: 'promoted'; orderId: string; jobId: string }
  | { outcome: 'already_active'; orderId: string };

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
 * How many times a request adds its job when each add collapses into a job that has finished by the
 * time it is looked at. Each round needs a job to finish in a window of one Redis round trip.
 */
const ENQUEUE_ROUNDS = 3;

type RequestOptions = { runNow?: boolean; record?: (result: RequestProvisionResult) => Promise<unknown> };

/**
 * Asks for an order to be provisioned now (admin Provision/Retry, the web app, or the sweeper): decides
 * by the shared rules, enqueues (collapsing into a live job), then marks the order `queued`. The order
 * is written only after the job exists, so a Redis outage leaves it untouched. With `runNow`, a live job
 * that is waiting out a delay (backoff, lock wait, a provider's pause, the next poll) runs at once
 * instead of answering `in_progress`.
 */
export async function requestProvision(
  deps: RequestProvisionDeps,
  orderId: string,
  reason: AttemptReason,
  options: RequestOptions = {},
): Promise<RequestProvisionResult> {
  for (let round = 1; ; round += 1) {
    const result = await requestOnce(deps, orderId, reason, options);
    if (result) return result;
    if (round === ENQUEUE_ROUNDS) {
      throw new QueueUnavailableError('The provisioning queue kept naming a job that had just finished; nothing was changed. Try again shortly.', {
        orderId,
      });
    }
  }
}

/**
 * One round of `requestProvision`. Null when the add collapsed into a job that finished before it was
 * looked at: that job has written its outcome to the order and let go of the order's deduplication
 * key, so the next round reads the order afresh and adds a job of its own.
 */
async function requestOnce(deps: RequestProvisionDeps, orderId: string, reason: AttemptReason, options: RequestOptions): Promise<RequestProvisionResult | null> {
  const answer = async (result: RequestProvisionResult, alongside?: Promise<unknown>): Promise<RequestProvisionResult> => {
    // The caller's record of the outcome (the audit log) is written with the last write, not after it.
    await Promise.all([alongside, options.record?.(result)]);
    return result;
  };
  const now = deps.now?.() ?? new Date();
  const order = await deps.orders.load(orderId);
  // Decided first without the queue: only an order that may be provisioned needs Redis at all, and
  // the add itself says whether a live job holds the order (deduplication by order id).
  const decision = decideProvision(order, null, now);
  switch (decision.kind) {
    case 'not_found':
      throw new OrderNotFoundError(`Order ${orderId} was not found.`);
    case 'already_active':
      return answer({ outcome: 'already_active', orderId });
    case 'not_provisionable':
      throw new NotProvisionableError(decision.message);
    case 'in_progress':
    case 'enqueue':
      break;
  }
  const enqueued = await queueCall(() => enqueueProvision(deps.queue, orderId, reason, { now, target: order }));
  if (!enqueued.created) {
    const live = await queueCall(() => findLiveProvisionJob(deps.queue, orderId));
    if (live) {
      if (options.runNow && live.state === 'delayed') {
        await queueCall(async () => {
          await moveAhead(live.job);
          await live.job.promote();
        });
        return answer({ outcome: 'promoted', orderId, jobId: live.id });
      }
      const busy = decideProvision(order, live, now);
      if (busy.kind === 'in_progress') throw new ProvisionInProgressError(busy.message, busy.jobId, busy.state);
      return answer({ outcome: 'queued', orderId, jobId: live.id });
    }
    return null;
  }
  if (decision.kind === 'enqueue' && decision.stuck) {
    deps.logger.warn({ orderId, provisioningStatus: order?.provisioningStatus, reason }, 'order was stuck with no live job; enqueuing it again');
  }
  // Only if nothing touched the order since we read it: a fast worker may already have taken it (fence
  // moved) or even failed it (status moved), and its word wins.
  return answer({ outcome: 'queued', orderId, jobId: enqueued.jobId }, order ? deps.orders.markQueued(order, reason, now) : undefined);
}
