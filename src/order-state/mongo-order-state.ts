import type { Collection, Filter, UpdateFilter } from 'mongodb';
import { Types } from 'mongoose';
import type { Order, OrderModel } from '../db/order-model';
import { StaleAttemptError } from '../domain/errors';
import { OBJECT_ID_HEX } from '../domain/ids';
import { ORDER_TRANSITIONS, type OrderTransition } from '../domain/order-transitions';
import { PAID_STATUSES, type ProvisioningStatus } from '../domain/statuses';
import { MAX_ATTEMPT_HISTORY, orderEventId, type AttemptRecord, type OrderSnapshot, type OrderState, type OutboxEvent } from './order-state';

type OrderFilter = Filter<Order>;
type OrderUpdate = UpdateFilter<Order>;

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

/** Matches the order by its `_id`; a string that is no ObjectId matches none. */
function idOf(orderId: string): OrderFilter['_id'] {
  return OBJECT_ID_HEX.test(orderId) ? new Types.ObjectId(orderId) : { $in: [] };
}

/**
 * Every write moves `updatedAt` (the sweeper reads it), as the model's timestamps do; a `$set` field left
 * undefined is not written, as mongoose leaves it. (Filters keep the driver's default: an undefined
 * condition becomes null and matches nothing, never silently dropped.)
 */
function touching(update: OrderUpdate): OrderUpdate {
  const set: Record<string, unknown> = { updatedAt: new Date() };
  for (const [field, value] of Object.entries(update.$set ?? {})) if (value !== undefined) set[field] = value;
  return { ...update, $set: set as OrderUpdate['$set'] };
}

/** Orders the web app wrote have no fence: the same as 0. */
function fenceIs(fence: number): OrderFilter['fence'] {
  return fence ? fence : { $in: [0, null as unknown as number] };
}

/** Matches an order whose provisioning status lets `transition` start (missing counts as null). */
function startsFrom(transition: OrderTransition): OrderFilter {
  return { provisioningStatus: { $in: [...ORDER_TRANSITIONS[transition].from] } };
}

/** The status a transition leaves, as a `$set` entry (none when it keeps the status). */
function leaves(transition: OrderTransition): { provisioningStatus?: ProvisioningStatus } {
  const to = ORDER_TRANSITIONS[transition].to;
  return to === null ? {} : { provisioningStatus: to };
}

/** What a payment writes when it asks for an order's first attempt. */
function firstAttempt(now: Date) {
  return {
    ...leaves('recordPayment'),
    autoProvisioned: true,
    provisioningError: null,
    nextAttemptAt: null,
    provisionRequestedAt: now,
    provisionReason: 'payment' as const,
  };
}

/**
 * The order-state module over MongoDB: each transition one conditional update of one document. It
 * talks to the driver, not through mongoose's queries: every filter and update is built here, by type,
 * so casting them again would only cost CPU on the hottest paths (a Retry, a payment, every step of
 * an attempt); the model keeps the schema, indexes and defaults of documents others create.
 */
export function createMongoOrderState(model: OrderModel): OrderState {
  const orders = model.collection as unknown as Collection<Order>;

  /** One conditional update; the count of orders it matched and changed. */
  function update(filter: OrderFilter, change: OrderUpdate) {
    return orders.updateOne(filter, touching(change));
  }

  /** One conditional update answering the order as it left it (null when nothing matched). */
  function updateAndRead<T extends object>(filter: OrderFilter, change: OrderUpdate, projection: object): Promise<T | null> {
    return orders.findOneAndUpdate(filter, touching(change), { returnDocument: 'after', projection }) as Promise<T | null>;
  }

  /**
   * Applies a fenced transition, or throws StaleAttemptError when a newer attempt holds the order (or,
   * for the writes that go on with a purchase, the web app cancelled it meanwhile).
   */
  async function fenced(transition: OrderTransition, orderId: string, fence: number, change: OrderUpdate): Promise<void> {
    const paidOnly = transition === 'markActive' || transition === 'storePurchase' ? { status: { $in: PAID_STATUSES } } : {};
    const result = await update({ _id: idOf(orderId), fence, ...startsFrom(transition), ...paidOnly }, change);
    if (result.matchedCount === 0) throw new StaleAttemptError(`Order ${orderId} was taken by a newer attempt`);
  }

  /** Applies an unfenced transition if the order has not moved since `seen` was read. */
  async function ifUnchanged(transition: OrderTransition, seen: OrderSnapshot, change: OrderUpdate, extra: OrderFilter = {}): Promise<boolean> {
    const result = await update({ _id: idOf(seen.id), fence: fenceIs(seen.fence), $and: [startsFrom(transition), extra] }, change);
    return result.modifiedCount > 0;
  }

  return {
    async load(orderId) {
      const order = await orders.findOne<StoredOrder>({ _id: idOf(orderId) }, { projection: SNAPSHOT_FIELDS });
      return order ? toSnapshot(order) : null;
    },

    async *unfinished() {
      const cursor = orders.find<StoredOrder>({ provisioningStatus: { $in: ['queued', 'provisioning'] }, status: { $in: PAID_STATUSES } }, { projection: SNAPSHOT_FIELDS, batchSize: 500 });
      for await (const order of cursor) yield toSnapshot(order);
    },

    async payPending(orderId, now) {
      const order = await updateAndRead<StoredOrder>(
        { _id: idOf(orderId), status: 'pending', ...startsFrom('recordPayment') },
        { $set: { status: 'paid', paidAt: now, ...firstAttempt(now) } },
        SNAPSHOT_FIELDS,
      );
      return order ? toSnapshot(order) : null;
    },

    async recordPayment(orderId, change, now) {
      // Conditional updates, each applied at most once whoever runs it (replays, concurrent deliveries);
      // each answers the order as it left it, so no read follows.
      let order: StoredOrder | null = null;
      if (change.markPaid) {
        order = await updateAndRead<StoredOrder>({ _id: idOf(orderId), status: 'pending' }, { $set: { status: 'paid', paidAt: now, autoProvisioned: true } }, SNAPSHOT_FIELDS);
      }
      if (change.requestFirstAttempt) {
        order =
          (await updateAndRead<StoredOrder>({ _id: idOf(orderId), status: { $in: ['paid', 'confirmed'] }, ...startsFrom('recordPayment') }, { $set: firstAttempt(now) }, SNAPSHOT_FIELDS)) ??
          order;
      }
      order ??= await orders.findOne<StoredOrder>({ _id: idOf(orderId) }, { projection: SNAPSHOT_FIELDS });
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
      const taken = await updateAndRead<{ fence: number }>(
        { _id: idOf(seen.id), fence: fenceIs(seen.fence), status: { $in: PAID_STATUSES }, ...startsFrom('take') },
        { $set: { ...leaves('take'), lastProvisionAttempt: now, nextAttemptAt: null, provisioningError: null }, $inc: { fence: 1 } },
        { fence: 1 },
      );
      return taken ? taken.fence : null;
    },

    async takeUnread(orderId, target, now) {
      // A SmartVPS order with no package is read and refused, never bought from.
      if (target.provider === 'smartvps' && !target.packageName) return null;
      const named = target.provider === 'smartvps' ? { provider: target.provider, packageName: target.packageName } : { provider: target.provider };
      const taken = await updateAndRead<StoredOrder>(
        { _id: idOf(orderId), status: { $in: ['paid', 'confirmed'] }, ...named, ...startsFrom('takeUnread') },
        { $set: { ...leaves('takeUnread'), lastProvisionAttempt: now, nextAttemptAt: null, provisioningError: null }, $inc: { fence: 1 } },
        SNAPSHOT_FIELDS,
      );
      return taken ? toSnapshot(taken) : null;
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
        // (A null `updatedAt`, an order that never had one, matches it missing, as MongoDB matches null.)
        { updatedAt: seen.updatedAt, provisioningStatus: seen.provisioningStatus } as OrderFilter,
      );
      return stalled ? event.id : null;
    },

    async recordSkip(orderId, attempt) {
      await update({ _id: idOf(orderId), ...startsFrom('recordSkip') }, { $push: pushAttempt(attempt) });
    },

    async recordDeaths(orderId, deaths, attempt) {
      const updated = await updateAndRead<{ attemptDeaths: number }>(
        { _id: idOf(orderId), ...startsFrom('recordDeaths') },
        { $inc: { attemptDeaths: deaths }, $push: pushAttempt(attempt) },
        { attemptDeaths: 1 },
      );
      return updated ? updated.attemptDeaths : null;
    },

    async pendingEvent(orderId, eventId) {
      const order = await orders.findOne<Pick<Order, '_id' | 'provider' | 'outbox'>>({ _id: idOf(orderId), 'outbox.id': eventId }, { projection: { provider: 1, outbox: 1 } });
      const event = order?.outbox?.find((entry) => entry.id === eventId);
      return order && event ? { orderId: String(order._id), provider: order.provider, event } : null;
    },

    async *pendingEvents(from, to) {
      const cursor = orders.find<Pick<Order, '_id' | 'provider' | 'outbox'>>({ outbox: { $elemMatch: { at: { $gte: from, $lt: to } } } }, { projection: { provider: 1, outbox: 1 }, batchSize: 200 });
      for await (const order of cursor) {
        for (const event of order.outbox ?? []) {
          if (event.at >= from && event.at < to) yield { orderId: String(order._id), provider: order.provider, event };
        }
      }
    },

    async eventDelivered(orderId, eventId) {
      await update({ _id: idOf(orderId) }, { $pull: { outbox: { id: eventId } } });
    },

    async clearDeaths(orderId) {
      await update({ _id: idOf(orderId), attemptDeaths: { $gt: 0 }, ...startsFrom('clearDeaths') }, { $set: { attemptDeaths: 0 } });
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
