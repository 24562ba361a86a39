import type { QueryFilter, UpdateQuery } from 'mongoose';
import type { Order, OrderModel } from '../db/order-model';
import { StaleAttemptError } from '../domain/errors';
import { ORDER_TRANSITIONS, type OrderTransition } from '../domain/order-transitions';
import { PAID_STATUSES } from '../domain/statuses';
import { MAX_ATTEMPT_HISTORY, orderEventId, type AttemptRecord, type OrderSnapshot, type OrderState, type OutboxEvent } from './order-state';

type OrderFilter = QueryFilter<Order>;
type OrderUpdate = UpdateQuery<Order>;

/** The fields provisioning reads. */
const SNAPSHOT_FIELDS = {
  status: 1,
  provider: 1,
  autoProvisioned: 1,
  provisioningStatus: 1,
  ipAddress: 1,
  plan: 1,
  os: 1,
  packageName: 1,
  fence: 1,
  providerReference: 1,
  purchaseGeneration: 1,
  attemptDeaths: 1,
  updatedAt: 1,
  lastProvisionAttempt: 1,
  attempts: { $slice: -1 },
} as const;

type StoredOrder = Pick<Order, '_id' | keyof typeof SNAPSHOT_FIELDS>;

/** An order as provisioning sees it; the package name is normalised here, once, for the lock and the buy. */
export function toSnapshot(order: StoredOrder): OrderSnapshot {
  return {
    id: String(order._id),
    status: order.status,
    provider: order.provider,
    autoProvisioned: Boolean(order.autoProvisioned),
    provisioningStatus: order.provisioningStatus ?? null,
    ipAddress: order.ipAddress ?? null,
    plan: order.plan,
    os: order.os,
    packageName: order.packageName?.trim() || null,
    fence: order.fence ?? 0,
    providerReference: order.providerReference ?? null,
    purchaseGeneration: order.purchaseGeneration ?? 0,
    attemptDeaths: order.attemptDeaths ?? 0,
    updatedAt: order.updatedAt ?? null,
    lastProvisionAttempt: order.lastProvisionAttempt ?? null,
    lastAttempt: lastOf(order.attempts),
  };
}

function lastOf(attempts: AttemptRecord[] | undefined): OrderSnapshot['lastAttempt'] {
  const last = attempts?.at(-1);
  return last ? { jobId: last.jobId, outcome: last.outcome } : null;
}

/** The attempt history grows by one entry and keeps the newest MAX_ATTEMPT_HISTORY. */
function pushAttempt(attempt: AttemptRecord): OrderUpdate['$push'] {
  return { attempts: { $each: [attempt], $slice: -MAX_ATTEMPT_HISTORY } };
}

/** The history entry and, in the same write, the event for the web app. */
function pushAttemptAndEvent(attempt: AttemptRecord, event: OutboxEvent): OrderUpdate['$push'] {
  return { ...pushAttempt(attempt), outbox: event };
}

/** Orders the web app wrote have no fence: the same as 0. */
function fenceIs(fence: number): OrderFilter['fence'] {
  return fence ? fence : { $in: [0, null] };
}

/** Matches an order whose provisioning status lets `transition` start (missing counts as null). */
function startsFrom(transition: OrderTransition): OrderFilter {
  return { provisioningStatus: { $in: [...ORDER_TRANSITIONS[transition].from] } };
}

/** The status a transition leaves, as a `$set` entry (none when it keeps the status). */
function leaves(transition: OrderTransition): { provisioningStatus?: string } {
  const to = ORDER_TRANSITIONS[transition].to;
  return to === null ? {} : { provisioningStatus: to };
}

/** The order-state module over MongoDB: each transition one conditional update of one document. */
export function createMongoOrderState(orders: OrderModel): OrderState {
  /**
   * Applies a fenced transition, or throws StaleAttemptError when a newer attempt holds the order (or,
   * for the writes that go on with a purchase, the web app cancelled it meanwhile).
   */
  async function fenced(transition: OrderTransition, orderId: string, fence: number, update: OrderUpdate): Promise<void> {
    const paidOnly = transition === 'markActive' || transition === 'storePurchase' ? { status: { $in: PAID_STATUSES } } : {};
    const result = await orders.updateOne({ _id: orderId, fence, ...startsFrom(transition), ...paidOnly }, update);
    if (result.matchedCount === 0) throw new StaleAttemptError(`Order ${orderId} was taken by a newer attempt`);
  }

  /** Applies an unfenced transition if the order has not moved since `seen` was read. */
  async function ifUnchanged(transition: OrderTransition, seen: OrderSnapshot, update: OrderUpdate, extra: OrderFilter = {}): Promise<boolean> {
    const result = await orders.updateOne({ _id: seen.id, fence: fenceIs(seen.fence), $and: [startsFrom(transition), extra] }, update);
    return result.modifiedCount > 0;
  }

  return {
    async load(orderId) {
      const order = await orders.findById(orderId).select(SNAPSHOT_FIELDS).lean<StoredOrder>();
      return order ? toSnapshot(order) : null;
    },

    async *unfinished() {
      const cursor = orders
        .find({ provisioningStatus: { $in: ['queued', 'provisioning'] }, status: { $in: PAID_STATUSES } })
        .select(SNAPSHOT_FIELDS)
        .lean<StoredOrder[]>()
        .cursor({ batchSize: 500 });
      for await (const order of cursor) yield toSnapshot(order as StoredOrder);
    },

    async recordPayment(orderId, change, now) {
      // Conditional updates, each applied at most once whoever runs it (replays, concurrent deliveries);
      // each answers the order as it left it, so no read follows.
      let order: StoredOrder | null = null;
      if (change.markPaid) {
        order = await orders
          .findOneAndUpdate({ _id: orderId, status: 'pending' }, { $set: { status: 'paid', paidAt: now, autoProvisioned: true } }, { returnDocument: 'after', projection: SNAPSHOT_FIELDS })
          .lean<StoredOrder>();
      }
      if (change.requestFirstAttempt) {
        order =
          (await orders
            .findOneAndUpdate(
              { _id: orderId, status: { $in: ['paid', 'confirmed'] }, ...startsFrom('recordPayment') },
              {
                $set: {
                  ...leaves('recordPayment'),
                  autoProvisioned: true,
                  provisioningError: null,
                  nextAttemptAt: null,
                  provisionRequestedAt: now,
                  provisionReason: 'payment',
                },
              },
              { returnDocument: 'after', projection: SNAPSHOT_FIELDS },
            )
            .lean<StoredOrder>()) ?? order;
      }
      order ??= await orders.findById(orderId).select(SNAPSHOT_FIELDS).lean<StoredOrder>();
      return { order: order ? toSnapshot(order) : null };
    },

    markQueued(seen, reason, now) {
      return ifUnchanged(
        'markQueued',
        seen,
        { $set: { ...leaves('markQueued'), provisioningError: null, nextAttemptAt: null, provisionRequestedAt: now, provisionReason: reason } },
        { provisioningStatus: seen.provisioningStatus },
      );
    },

    async waitForLock(seen) {
      await ifUnchanged('waitForLock', seen, { $set: leaves('waitForLock') });
    },

    async take(seen, now) {
      const taken = await orders
        .findOneAndUpdate(
          { _id: seen.id, fence: fenceIs(seen.fence), status: { $in: PAID_STATUSES }, ...startsFrom('take') },
          { $set: { ...leaves('take'), lastProvisionAttempt: now, nextAttemptAt: null, provisioningError: null }, $inc: { fence: 1 } },
          { returnDocument: 'after', projection: { fence: 1 } },
        )
        .lean<{ fence: number }>();
      return taken ? taken.fence : null;
    },

    storePurchase(orderId, fence, reference) {
      return fenced('storePurchase', orderId, fence, { $set: { providerReference: reference } });
    },

    forgetPurchase(orderId, fence) {
      return fenced('forgetPurchase', orderId, fence, { $set: { providerReference: null }, $inc: { purchaseGeneration: 1 } });
    },

    async markActive(orderId, fence, server, attempt) {
      const event = provisionedEvent(orderId, fence, server.ipAddress);
      await fenced('markActive', orderId, fence, {
        $set: {
          ...leaves('markActive'),
          status: 'active',
          ipAddress: server.ipAddress,
          credentialsEncrypted: server.credentialsEncrypted,
          provisioningError: null,
          nextAttemptAt: null,
          attemptDeaths: 0,
        },
        $push: pushAttemptAndEvent(attempt, event),
      });
      return event.id;
    },

    scheduleRetry(orderId, fence, failure, nextAttemptAt, attempt) {
      return fenced('scheduleRetry', orderId, fence, {
        $set: { ...leaves('scheduleRetry'), provisioningError: failure.error, nextAttemptAt, ...abandon(failure.abandonPurchase) },
        ...incGeneration(failure.abandonPurchase),
        $push: pushAttempt(attempt),
      });
    },

    deferAttempt(orderId, fence, note, nextAttemptAt) {
      return fenced('deferAttempt', orderId, fence, { $set: { ...leaves('deferAttempt'), provisioningError: note, nextAttemptAt } });
    },

    handBack(orderId, fence, attempt) {
      return fenced('handBack', orderId, fence, { $set: leaves('handBack'), $push: pushAttempt(attempt) });
    },

    async fail(orderId, fence, failure, attempt) {
      const event = failedEvent(orderId, fence, failure.error);
      await fenced('fail', orderId, fence, {
        $set: { ...leaves('fail'), provisioningError: failure.error, nextAttemptAt: null, attemptDeaths: 0, ...abandon(failure.abandonPurchase) },
        ...incGeneration(failure.abandonPurchase),
        $push: pushAttemptAndEvent(attempt, event),
      });
      return event.id;
    },

    async refuse(seen, failure, attempt) {
      // Bumped, so a request's `queued` write, made against the fence it read, cannot hide this failure.
      const event = failedEvent(seen.id, seen.fence + 1, failure.error);
      const refused = await ifUnchanged('refuse', seen, {
        $set: { ...leaves('refuse'), provisioningError: failure.error, nextAttemptAt: null, attemptDeaths: 0, ...abandon(failure.abandonPurchase) },
        $inc: { fence: 1, ...(failure.abandonPurchase ? { purchaseGeneration: 1 } : {}) },
        $push: pushAttemptAndEvent(attempt, event),
      });
      return refused ? event.id : null;
    },

    async markStalled(seen, message, attempt) {
      const event = failedEvent(seen.id, seen.fence + 1, message);
      const stalled = await ifUnchanged(
        'markStalled',
        seen,
        {
          $set: { ...leaves('markStalled'), provisioningError: message, nextAttemptAt: null, attemptDeaths: 0 },
          $inc: { fence: 1 },
          $push: pushAttemptAndEvent(attempt, event),
        },
        // Not even touched since: a request or an attempt that moved it meanwhile wins.
        { updatedAt: seen.updatedAt, provisioningStatus: seen.provisioningStatus },
      );
      return stalled ? event.id : null;
    },

    async recordSkip(orderId, attempt) {
      await orders.updateOne({ _id: orderId, ...startsFrom('recordSkip') }, { $push: pushAttempt(attempt) });
    },

    async recordDeaths(orderId, deaths, attempt) {
      const updated = await orders
        .findOneAndUpdate(
          { _id: orderId, ...startsFrom('recordDeaths') },
          { $inc: { attemptDeaths: deaths }, $push: pushAttempt(attempt) },
          { returnDocument: 'after', projection: { attemptDeaths: 1 } },
        )
        .lean<{ attemptDeaths: number }>();
      return updated ? updated.attemptDeaths : null;
    },

    async pendingEvent(orderId, eventId) {
      const order = await orders
        .findOne({ _id: orderId, 'outbox.id': eventId })
        .select({ provider: 1, outbox: 1 })
        .lean<Pick<Order, '_id' | 'provider' | 'outbox'>>();
      const event = order?.outbox?.find((entry) => entry.id === eventId);
      return order && event ? { orderId: String(order._id), provider: order.provider, event } : null;
    },

    async *pendingEvents(from, to) {
      const cursor = orders
        .find({ outbox: { $elemMatch: { at: { $gte: from, $lt: to } } } })
        .select({ provider: 1, outbox: 1 })
        .lean<Pick<Order, '_id' | 'provider' | 'outbox'>[]>()
        .cursor({ batchSize: 200 });
      for await (const found of cursor) {
        const order = found as Pick<Order, '_id' | 'provider' | 'outbox'>;
        for (const event of order.outbox ?? []) {
          if (event.at >= from && event.at < to) yield { orderId: String(order._id), provider: order.provider, event };
        }
      }
    },

    async eventDelivered(orderId, eventId) {
      await orders.updateOne({ _id: orderId }, { $pull: { outbox: { id: eventId } } });
    },

    async clearDeaths(orderId) {
      await orders.updateOne({ _id: orderId, attemptDeaths: { $gt: 0 }, ...startsFrom('clearDeaths') }, { $set: { attemptDeaths: 0 } });
    },
  };
}

function provisionedEvent(orderId: string, sequence: number, ipAddress: string): OutboxEvent {
  return { id: orderEventId(orderId, sequence), type: 'order.provisioned', sequence, at: new Date(), ipAddress };
}

function failedEvent(orderId: string, sequence: number, error: string): OutboxEvent {
  return { id: orderEventId(orderId, sequence), type: 'order.failed', sequence, at: new Date(), error };
}

function abandon(abandonPurchase: boolean | undefined): { providerReference?: null } {
  return abandonPurchase ? { providerReference: null } : {};
}

function incGeneration(abandonPurchase: boolean | undefined): { $inc?: { purchaseGeneration: number } } {
  return abandonPurchase ? { $inc: { purchaseGeneration: 1 } } : {};
}
