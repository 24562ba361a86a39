import type { Redis } from 'ioredis';
import type { Types } from 'mongoose';
import type { Attempt } from '../db/order-model';
import { QueueUnavailableError } from '../domain/errors';
import { provisionActionFor } from '../domain/provision-action';
import type { OrderFacts } from '../domain/statuses';
import { findLiveProvisionJob, type ProvisionQueue } from '../queue/provision-queue';
import type { StoredAuditEvent } from '../audit/audit-log';
import type { AuditEventView, JobView, OrderView } from './schemas';

/**
 * An order as read from MongoDB (lean). Orders written by the web app may lack the fields this system
 * added, so everything beyond the facts the rules need is optional.
 */
export interface OrderRecord extends OrderFacts {
  _id: Types.ObjectId;
  provisioningError?: string | null;
  lastProvisionAttempt?: Date | null;
  os?: string | null;
  plan?: string | null;
  packageName?: string | null;
  customerEmail?: string | null;
  providerReference?: string | null;
  nextAttemptAt?: Date | null;
  attempts?: Attempt[] | null;
  credentialsEncrypted?: string | null;
  createdAt?: Date | null;
  updatedAt?: Date | null;
}

/** The fields an order view reads; `credentialsEncrypted` only to say whether credentials exist. */
export const ORDER_VIEW_SELECT = '+credentialsEncrypted';

export interface JobLookupDeps {
  queue: ProvisionQueue;
  /** The ioredis client the queue uses: read the delayed set's score for a job's next run. */
  redis: Redis;
}

const iso = (value: Date | null | undefined): string | null => (value ? new Date(value).toISOString() : null);

/** BullMQ scores delayed jobs as `runAt * 0x1000 + sequence` (see its getDelayedScore script). */
const DELAYED_SCORE_SHIFT = 0x1000;

async function delayedUntil({ queue, redis }: JobLookupDeps, jobId: string): Promise<number | null> {
  const score = await redis.zscore(queue.toKey('delayed'), jobId);
  return score === null ? null : Math.floor(Number(score) / DELAYED_SCORE_SHIFT);
}

/**
 * The live job holding the order (waiting, delayed or active), or null. A delayed job's next run is
 * when BullMQ will run it, else the order's `nextAttemptAt`, else its creation time plus delay.
 */
export async function loadJobView(deps: JobLookupDeps, order: OrderRecord): Promise<JobView | null> {
  const orderId = order._id.toString();
  try {
    const live = await findLiveProvisionJob(deps.queue, orderId);
    if (!live) return null;
    const { job } = live;
    let nextAttemptAt: string | null = null;
    if (live.state === 'delayed') {
      const runAt = await delayedUntil(deps, live.id);
      nextAttemptAt = runAt !== null ? new Date(runAt).toISOString() : (iso(order.nextAttemptAt) ?? new Date(job.timestamp + job.delay).toISOString());
    }
    return { id: live.id, state: live.state, attemptsMade: job.attemptsMade, nextAttemptAt };
  } catch (error) {
    throw new QueueUnavailableError('The provisioning queue (Redis) is unavailable; job states cannot be read. Try again shortly.', {
      cause: error instanceof Error ? error.message : String(error),
    });
  }
}

/** The API's view of an order: never credentials, only whether they exist. */
export function toOrderView(order: OrderRecord, job: JobView | null): OrderView {
  return {
    id: order._id.toString(),
    status: order.status,
    provider: order.provider,
    customerEmail: order.customerEmail ?? null,
    autoProvisioned: Boolean(order.autoProvisioned),
    provisioningStatus: order.provisioningStatus ?? null,
    provisioningError: order.provisioningError ?? null,
    lastProvisionAttempt: iso(order.lastProvisionAttempt),
    ipAddress: order.ipAddress ?? null,
    os: order.os ?? null,
    plan: order.plan ?? null,
    packageName: order.packageName ?? null,
    providerReference: order.providerReference ?? null,
    nextAttemptAt: iso(order.nextAttemptAt),
    attempts: (order.attempts ?? []).map((attempt) => ({
      at: new Date(attempt.at).toISOString(),
      reason: attempt.reason,
      jobId: attempt.jobId,
      attempt: attempt.attempt,
      outcome: attempt.outcome,
      error: attempt.error ?? null,
      durationMs: attempt.durationMs,
    })),
    createdAt: iso(order.createdAt),
    updatedAt: iso(order.updatedAt),
    hasCredentials: Boolean(order.credentialsEncrypted),
    provisionAction: provisionActionFor(order, job !== null),
    job,
  };
}

/** An audit log entry as the API shows it. */
export function toAuditView(event: StoredAuditEvent): AuditEventView {
  return {
    at: new Date(event.at).toISOString(),
    actor: event.actor,
    action: event.action,
    ...(event.orderId ? { orderId: event.orderId } : {}),
    outcome: event.outcome,
    ...(event.details ? { details: event.details } : {}),
  };
}

/** Views of several orders, their jobs looked up concurrently. */
export async function viewOrders(deps: JobLookupDeps, orders: OrderRecord[]): Promise<OrderView[]> {
  const jobs = await Promise.all(orders.map((order) => loadJobView(deps, order)));
  return orders.map((order, index) => toOrderView(order, jobs[index] ?? null));
}
