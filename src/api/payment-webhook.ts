import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log';
import type { Database } from '../db/connection';
import type { WebhookEvent } from '../db/webhook-event-model';
import { decidePayment } from '../domain/payment-decision';
import type { Metrics } from '../observability/metrics';
import { enqueueProvision, type ProvisionQueue } from '../queue/provision-queue';
import type { WebhookAnswer } from './schemas';

export interface PaymentWebhookDeps {
  db: Database;
  audit: AuditLog;
  queue: ProvisionQueue;
  logger: Logger;
  metrics: Metrics;
  now?: () => Date;
}

export interface PaymentEvent {
  webhookId: string;
  type: string;
  orderId: string;
}

function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 11000;
}

/**
 * Applies a verified `payment.succeeded` event. The order is written first, durably and with
 * conditional updates, so replays and concurrent deliveries change it once; then the event is
 * recorded (the unique `webhookId` decides which delivery goes on) while the first attempt is
 * enqueued. If Redis is down the payment is still safe: the order says `queued` with
 * `provisionRequestedAt`, and the recovery sweeper enqueues it.
 */
export async function recordPayment(deps: PaymentWebhookDeps, event: PaymentEvent): Promise<WebhookAnswer> {
  const { db, logger, metrics } = deps;
  const now = deps.now?.() ?? new Date();
  const log = logger.child({ webhookId: event.webhookId, orderId: event.orderId });

  /** Records the event; false when another delivery of it got there first. */
  const recordEvent = async (outcome: 'processed' | 'ignored'): Promise<boolean> => {
    try {
      // Through the driver: the document is complete and typed here, and this write is on every payment's path.
      const record: WebhookEvent = { webhookId: event.webhookId, type: event.type, orderId: event.orderId, outcome, receivedAt: now };
      await db.webhookEvents.collection.insertOne(record);
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  };
  /** An event recorded as ignored becomes this delivery's, processed; false if it is not (or no longer) ignored. */
  const takeOverIgnoredEvent = async (): Promise<boolean> => {
    const taken = await db.webhookEvents.collection.updateOne(
      { webhookId: event.webhookId, outcome: 'ignored' },
      { $set: { outcome: 'processed', orderId: event.orderId, receivedAt: now } },
    );
    return taken.modifiedCount === 1;
  };
  const ignore = async (reason: 'unknown_order' | 'order_cancelled'): Promise<WebhookAnswer> => {
    if (!(await recordEvent('ignored'))) {
      metrics.webhooks.inc({ outcome: 'duplicate' });
      return { received: true, duplicate: true };
    }
    metrics.webhooks.inc({ outcome: reason });
    await deps.audit.record({ actor: 'payment', action: 'payment', orderId: event.orderId, outcome: `ignored_${reason}`, details: { webhookId: event.webhookId } });
    return { received: true, duplicate: false, ignored: reason };
  };

  // (1) The order, durably and idempotently: each change applies at most once, whoever runs it. The
  // usual first delivery (a pending order nobody asked to provision) is one conditional write with no
  // read before it; anything else (a replay, an order paid, cancelled, unknown, provisioned) is read,
  // decided, then written.
  let order = await db.orderState.payPending(event.orderId, now);
  // Only one delivery's write can pay a pending order: that one enqueues without waiting for its event.
  const paidHere = order !== null;
  if (!order) {
    // Both reads at once: a replay is answered without a write.
    const [seen, loaded] = await Promise.all([db.webhookEvents.exists({ webhookId: event.webhookId }), db.orderState.load(event.orderId)]);
    if (seen) {
      metrics.webhooks.inc({ outcome: 'duplicate' });
      return { received: true, duplicate: true };
    }
    const decision = decidePayment(loaded);
    if (decision.kind === 'ignore') {
      if (decision.reason === 'unknown_order') log.warn('payment for an unknown order; ignored');
      else log.warn('payment for a cancelled order; ignored (refund it by hand)');
      return ignore(decision.reason);
    }
    ({ order } = await db.orderState.recordPayment(event.orderId, { markPaid: decision.markPaid, requestFirstAttempt: decision.provision === 'first' }, now));
  }

  // (2) The event: of concurrent deliveries, exactly one goes on (the event's unique id). (3) The job:
  // the order as it is now is `queued` (just asked, or stuck) unless provisioning is finished or was not
  // asked for by this payment (a failed order waits for the admin's Retry); then it is enqueued, and a
  // live job absorbs it (deduplication by order id). The delivery that paid the order here adds the job
  // while its event is recorded; any other only once its event is. If Redis is down the order still
  // says `queued`, and the recovery sweeper enqueues it.
  const current = order ? decidePayment(order) : null;
  const enqueue = async (): Promise<{ jobId: string; created: boolean } | Error | null> => {
    if (current?.kind !== 'record' || current.provision !== 'take_up') return null;
    return enqueueProvision(deps.queue, event.orderId, 'payment', { now, target: order }).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  };
  // The job first: its add leaves for Redis before the event's insert is even encoded.
  const [enqueuedAlready, recorded] = await Promise.all([paidHere ? enqueue() : null, recordEvent('processed')]);
  // Paid here although the id was recorded: by a concurrent delivery (that one goes on), or earlier as
  // ignored, when the order was not there yet; then this delivery, the one that paid it, takes the
  // record over (a conditional write: one taker).
  const first = recorded || (paidHere && (await takeOverIgnoredEvent()));
  if (!first) {
    metrics.webhooks.inc({ outcome: 'duplicate' });
    return { received: true, duplicate: true };
  }
  const enqueued = paidHere ? enqueuedAlready : await enqueue();
  let outcome: 'recorded' | 'queued' | 'enqueue_failed' = 'recorded';
  let jobId: string | undefined;
  if (enqueued instanceof Error) {
    log.warn({ err: enqueued }, 'payment recorded but the queue (Redis) is unavailable; the recovery sweeper will enqueue it');
    outcome = 'enqueue_failed';
  } else if (enqueued) {
    jobId = enqueued.jobId;
    log.info({ jobId, created: enqueued.created }, 'payment recorded; provisioning enqueued');
    outcome = 'queued';
  }
  metrics.webhooks.inc({ outcome });
  await deps.audit.record({ actor: 'payment', action: 'payment', orderId: event.orderId, outcome, details: { webhookId: event.webhookId, ...(jobId ? { jobId } : {}) } });
  return { received: true, duplicate: false };
}
