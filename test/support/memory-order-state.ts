import { StaleAttemptError } from '../../src/domain/errors';
import { allows, ORDER_TRANSITIONS, type OrderTransition } from '../../src/domain/order-transitions';
import { PAID_STATUSES } from '../../src/domain/statuses';
import {
  MAX_ATTEMPT_HISTORY,
  orderEventId,
  type AttemptRecord,
  type OutboxEvent,
  type FailureRecord,
  type OrderSnapshot,
  type OrderState,
} from '../../src/order-state/order-state';

/** An order as the in-memory state keeps it: the snapshot plus what the views show. */
export interface MemoryOrder extends Omit<OrderSnapshot, 'lastAttempt'> {
  outbox: OutboxEvent[];
  provisioningError: string | null;
  nextAttemptAt: Date | null;
  credentialsEncrypted: string | null;
  attempts: AttemptRecord[];
  provisionReason: string | null;
}

/**
 * The order-state module's interface over a Map, for unit tests of the use cases (no MongoDB). It keeps
 * the same rules from the same table (`ORDER_TRANSITIONS`); the contract tests run against both
 * implementations, so the two cannot drift apart.
 */
export function createMemoryOrderState(options: { now?: () => Date } = {}): OrderState & {
  orders: Map<string, MemoryOrder>;
  insert(order: Partial<MemoryOrder> & Pick<OrderSnapshot, 'id' | 'status' | 'provider'>): MemoryOrder;
} {
  const orders = new Map<string, MemoryOrder>();
  const now = options.now ?? (() => new Date());

  const snapshot = (order: MemoryOrder): OrderSnapshot => ({
    id: order.id,
    status: order.status,
    provider: order.provider,
    autoProvisioned: order.autoProvisioned,
    provisioningStatus: order.provisioningStatus,
    ipAddress: order.ipAddress,
    plan: order.plan,
    os: order.os,
    packageName: order.packageName?.trim() || null,
    fence: order.fence,
    providerReference: order.providerReference,
    purchaseGeneration: order.purchaseGeneration,
    attemptDeaths: order.attemptDeaths,
    updatedAt: order.updatedAt,
    lastProvisionAttempt: order.lastProvisionAttempt,
    lastAttempt: order.attempts.length > 0 ? { jobId: (order.attempts.at(-1) as AttemptRecord).jobId, outcome: (order.attempts.at(-1) as AttemptRecord).outcome } : null,
  });

  /** Applies `change` and stamps the write, as mongoose's timestamps do. */
  const write = (order: MemoryOrder, transition: OrderTransition, change: Partial<MemoryOrder>, attempt?: AttemptRecord, event?: OutboxEvent): void => {
    Object.assign(order, change);
    const to = ORDER_TRANSITIONS[transition].to;
    if (to !== null) order.provisioningStatus = to;
    if (attempt) order.attempts = [...order.attempts, { ...attempt }].slice(-MAX_ATTEMPT_HISTORY);
    if (event) order.outbox = [...order.outbox, event];
    order.updatedAt = now();
  };

  const failedEvent = (orderId: string, sequence: number, error: string): OutboxEvent => ({ id: orderEventId(orderId, sequence), type: 'order.failed', sequence, at: now(), error });

  const fenced = (transition: OrderTransition, orderId: string, fence: number): MemoryOrder => {
    const order = orders.get(orderId);
    const paidOnly = transition === 'markActive' || transition === 'storePurchase';
    if (!order || order.fence !== fence || !allows(transition, order.provisioningStatus) || (paidOnly && !PAID_STATUSES.includes(order.status))) {
      throw new StaleAttemptError(`Order ${orderId} was taken by a newer attempt`);
    }
    return order;
  };

  const unchanged = (transition: OrderTransition, seen: OrderSnapshot): MemoryOrder | null => {
    const order = orders.get(seen.id);
    return order && order.fence === seen.fence && allows(transition, order.provisioningStatus) ? order : null;
  };

  const abandon = (order: MemoryOrder, failure: FailureRecord): Partial<MemoryOrder> =>
    failure.abandonPurchase ? { providerReference: null, purchaseGeneration: order.purchaseGeneration + 1 } : {};

  return {
    orders,
    insert(fields) {
      const order: MemoryOrder = {
        autoProvisioned: false,
        provisioningStatus: null,
        ipAddress: null,
        plan: '4gb',
        os: 'ubuntu-22.04',
        packageName: null,
        fence: 0,
        providerReference: null,
        purchaseGeneration: 0,
        attemptDeaths: 0,
        updatedAt: now(),
        lastProvisionAttempt: null,
        provisioningError: null,
        nextAttemptAt: null,
        credentialsEncrypted: null,
        attempts: [],
        outbox: [],
        provisionReason: null,
        ...fields,
      };
      orders.set(order.id, order);
      return order;
    },

    async load(orderId) {
      const order = orders.get(orderId);
      return order ? snapshot(order) : null;
    },

    async *unfinished() {
      for (const order of [...orders.values()]) {
        if ((order.provisioningStatus === 'queued' || order.provisioningStatus === 'provisioning') && PAID_STATUSES.includes(order.status)) {
          yield snapshot(order);
        }
      }
    },

    async payPending(orderId) {
      const order = orders.get(orderId);
      if (!order || order.status !== 'pending' || !allows('recordPayment', order.provisioningStatus)) return null;
      Object.assign(order, { status: 'paid' });
      write(order, 'recordPayment', { autoProvisioned: true, provisioningError: null, nextAttemptAt: null, provisionReason: 'payment' });
      return snapshot(order);
    },

    async recordPayment(orderId, change, at) {
      const order = orders.get(orderId);
      if (order && change.markPaid && order.status === 'pending') Object.assign(order, { status: 'paid', autoProvisioned: true, updatedAt: now() });
      if (order && change.requestFirstAttempt && (order.status === 'paid' || order.status === 'confirmed') && allows('recordPayment', order.provisioningStatus)) {
        write(order, 'recordPayment', { autoProvisioned: true, provisioningError: null, nextAttemptAt: null, provisionReason: 'payment' });
      }
      void at;
      return { order: order ? snapshot(order) : null };
    },

    async markQueued(seen, reason) {
      const order = unchanged('markQueued', seen);
      if (!order || order.provisioningStatus !== seen.provisioningStatus) return false;
      write(order, 'markQueued', { provisioningError: null, nextAttemptAt: null, provisionReason: reason });
      return true;
    },

    async waitForLock(seen) {
      const order = unchanged('waitForLock', seen);
      if (order) write(order, 'waitForLock', {});
    },

    async take(seen, at) {
      const order = unchanged('take', seen);
      if (!order || !PAID_STATUSES.includes(order.status)) return null;
      write(order, 'take', { fence: order.fence + 1, lastProvisionAttempt: at, nextAttemptAt: null, provisioningError: null });
      return order.fence;
    },

    async takeUnread(orderId, target, at) {
      if (target.provider === 'smartvps' && !target.packageName) return null;
      const order = orders.get(orderId);
      const named = order?.provider === target.provider && (target.provider !== 'smartvps' || order.packageName === target.packageName);
      if (!order || !named || !['paid', 'confirmed'].includes(order.status) || !allows('takeUnread', order.provisioningStatus)) return null;
      write(order, 'takeUnread', { fence: order.fence + 1, lastProvisionAttempt: at, nextAttemptAt: null, provisioningError: null });
      return snapshot(order);
    },

    async storePurchase(orderId, fence, reference) {
      write(fenced('storePurchase', orderId, fence), 'storePurchase', { providerReference: reference });
    },

    async forgetPurchase(orderId, fence) {
      const order = fenced('forgetPurchase', orderId, fence);
      write(order, 'forgetPurchase', { providerReference: null, purchaseGeneration: order.purchaseGeneration + 1 });
    },

    async markActive(orderId, fence, server, attempt) {
      const order = fenced('markActive', orderId, fence);
      const event: OutboxEvent = { id: orderEventId(orderId, fence), type: 'order.provisioned', sequence: fence, at: now(), ipAddress: server.ipAddress };
      write(
        order,
        'markActive',
        { status: 'active', ipAddress: server.ipAddress, credentialsEncrypted: server.credentialsEncrypted, provisioningError: null, nextAttemptAt: null, attemptDeaths: 0 },
        attempt,
        event,
      );
      return event.id;
    },

    async scheduleRetry(orderId, fence, failure, nextAttemptAt, attempt) {
      const order = fenced('scheduleRetry', orderId, fence);
      write(order, 'scheduleRetry', { provisioningError: failure.error, nextAttemptAt, ...abandon(order, failure) }, attempt);
    },

    async deferAttempt(orderId, fence, note, nextAttemptAt) {
      write(fenced('deferAttempt', orderId, fence), 'deferAttempt', { provisioningError: note, nextAttemptAt });
    },

    async handBack(orderId, fence, attempt) {
      write(fenced('handBack', orderId, fence), 'handBack', {}, attempt);
    },

    async fail(orderId, fence, failure, attempt) {
      const order = fenced('fail', orderId, fence);
      const event = failedEvent(orderId, fence, failure.error);
      write(order, 'fail', { provisioningError: failure.error, nextAttemptAt: null, attemptDeaths: 0, ...abandon(order, failure) }, attempt, event);
      return event.id;
    },

    async refuse(seen, failure, attempt) {
      const order = unchanged('refuse', seen);
      if (!order) return null;
      const event = failedEvent(order.id, order.fence + 1, failure.error);
      write(order, 'refuse', { provisioningError: failure.error, nextAttemptAt: null, attemptDeaths: 0, fence: order.fence + 1, ...abandon(order, failure) }, attempt, event);
      return event.id;
    },

    async markStalled(seen, message, attempt) {
      const order = unchanged('markStalled', seen);
      if (!order || order.provisioningStatus !== seen.provisioningStatus || order.updatedAt?.getTime() !== seen.updatedAt?.getTime()) return null;
      const event = failedEvent(order.id, order.fence + 1, message);
      write(order, 'markStalled', { provisioningError: message, nextAttemptAt: null, attemptDeaths: 0, fence: order.fence + 1 }, attempt, event);
      return event.id;
    },

    async pendingEvent(orderId, eventId) {
      const order = orders.get(orderId);
      const event = order?.outbox.find((entry) => entry.id === eventId);
      return order && event ? { orderId, provider: order.provider, event } : null;
    },

    async *pendingEvents(from, to) {
      for (const order of [...orders.values()]) {
        for (const event of order.outbox) if (event.at >= from && event.at < to) yield { orderId: order.id, provider: order.provider, event };
      }
    },

    async eventDelivered(orderId, eventId) {
      const order = orders.get(orderId);
      if (order) Object.assign(order, { outbox: order.outbox.filter((entry) => entry.id !== eventId), updatedAt: now() });
    },

    async recordSkip(orderId, attempt) {
      const order = orders.get(orderId);
      if (order && allows('recordSkip', order.provisioningStatus)) write(order, 'recordSkip', {}, attempt);
    },

    async recordDeaths(orderId, deaths, attempt) {
      const order = orders.get(orderId);
      if (!order || !allows('recordDeaths', order.provisioningStatus)) return null;
      write(order, 'recordDeaths', { attemptDeaths: order.attemptDeaths + deaths }, attempt);
      return order.attemptDeaths;
    },

    async clearDeaths(orderId) {
      const order = orders.get(orderId);
      if (order && order.attemptDeaths > 0 && allows('clearDeaths', order.provisioningStatus)) write(order, 'clearDeaths', { attemptDeaths: 0 });
    },
  };
}
