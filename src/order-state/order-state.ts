import type { AttemptOutcome, AttemptReason, OrderStatus, ProviderName } from '../domain/statuses';
import type { ProvisioningState } from '../domain/order-transitions';

/** One provisioning attempt, as the order's history shows it. */
export interface AttemptRecord {
  at: Date;
  reason: AttemptReason;
  jobId: string;
  /** BullMQ attempt number, 1-based (0: not an attempt, e.g. the sweeper). */
  attempt: number;
  outcome: AttemptOutcome;
  error: string | null;
  durationMs: number;
}

/** How many attempts an order keeps in its history (the newest). */
export const MAX_ATTEMPT_HISTORY = 50;

/**
 * What provisioning reads of an order: the facts the rules need plus the fields this system owns.
 * `packageName` is normalised here, at the boundary (trimmed; blank is none), so the lock and the buy
 * always name the same package.
 */
export interface OrderSnapshot {
  id: string;
  status: OrderStatus;
  provider: ProviderName;
  autoProvisioned: boolean;
  provisioningStatus: ProvisioningState;
  ipAddress: string | null;
  plan: string;
  os: string;
  packageName: string | null;
  /** The fencing counter: 0 for an order no attempt has taken yet. */
  fence: number;
  providerReference: string | null;
  /** Bumped whenever a purchase is given up on, so the next buy uses a new idempotency key. */
  purchaseGeneration: number;
  /** Runs that died with their worker in a row, with no progress between (a crash or kill mid-step). */
  attemptDeaths: number;
  /** The last write of any kind (orders the web app wrote may lack it). */
  updatedAt: Date | null;
  lastProvisionAttempt: Date | null;
  /** The newest entry of the attempt history: which job, and how it ended. */
  lastAttempt: Pick<AttemptRecord, 'jobId' | 'outcome'> | null;
}

/** The result of a successful attempt, ready to store (credentials already encrypted). */
export interface ProvisionedServer {
  ipAddress: string;
  credentialsEncrypted: string | null;
}

/** A failure to record: the message for people, and whether the purchase is given up on. */
export interface FailureRecord {
  error: string;
  /** Clear the stored reference and bump the generation: the next buy starts anew under a new key. */
  abandonPurchase?: boolean;
}

export const ORDER_EVENT_TYPES = ['order.provisioned', 'order.failed'] as const;
export type OrderEventType = (typeof ORDER_EVENT_TYPES)[number];

/**
 * An event for the web app, recorded in the same write as the change it reports (the outbox) and
 * removed once delivered. Its sequence is the fence of the change, so a later event of the same order
 * always has a higher one; its id, derived from both, is the webhook-id of every delivery.
 */
export interface OutboxEvent {
  id: string;
  type: OrderEventType;
  sequence: number;
  at: Date;
  ipAddress?: string;
  error?: string;
}

/** The id of an order's event: the same for every delivery of it. */
export const orderEventId = (orderId: string, sequence: number) => `evt_${orderId}_${sequence}`;

/** An event still waiting in an order's outbox, with what its delivery needs. */
export interface PendingEvent {
  orderId: string;
  provider: ProviderName;
  event: OutboxEvent;
}

/**
 * What a provision request read of the order and its job carries (the provider and the normalised
 * package name), so the job's first step can lock the package and take the order without reading it first.
 */
export interface OrderTarget {
  provider: ProviderName;
  packageName: string | null;
}

export interface PaymentRecorded {
  /** The order after the payment's writes, or null if it vanished meanwhile. */
  order: OrderSnapshot | null;
}

/**
 * Every change of an order's provisioning state goes through here, and through nothing else (a test
 * checks). Each method is one transition of `ORDER_TRANSITIONS`, written as one conditional update.
 * Fenced methods apply only while the order carries the attempt's fence and throw `StaleAttemptError`
 * otherwise: a stale attempt can never overwrite a newer one.
 */
export interface OrderState {
  load(orderId: string): Promise<OrderSnapshot | null>;
  /** Paid orders asked for provisioning and not finished (`queued` or `provisioning`), for the sweeper. */
  unfinished(): AsyncIterable<OrderSnapshot>;

  /**
   * The usual payment, in one write with no read before it: a pending order nobody asked to provision
   * yet becomes paid, auto-provisioned and queued for its first attempt. Null (nothing written) for any
   * other order: it is read, decided and written by `recordPayment`.
   */
  payPending(orderId: string, now: Date): Promise<OrderSnapshot | null>;
  /** A succeeded payment: pending → paid (auto-provisioned), and, when asked, the first request. */
  recordPayment(orderId: string, change: { markPaid: boolean; requestFirstAttempt: boolean }, now: Date): Promise<PaymentRecorded>;
  /** A request made a job: `queued`, if nothing changed since `seen` was read (a worker's word wins). */
  markQueued(seen: OrderSnapshot, reason: AttemptReason, now: Date): Promise<boolean>;
  /** The package lock is busy: `queued`, not `provisioning`, unless an attempt took it meanwhile. */
  waitForLock(seen: OrderSnapshot): Promise<void>;
  /** Compare-and-set from `seen`: `provisioning` with a new fence, or null when someone moved it first. */
  take(seen: OrderSnapshot, now: Date): Promise<number | null>;
  /**
   * Takes an order nobody read, in one write that answers it as taken (its fence the new one): only a
   * paid or confirmed order, queued or unasked or held by an older attempt, of `target`'s provider (and,
   * for SmartVPS, package: a SmartVPS target with none takes nothing). Null for any other order, changing
   * nothing: it is then read and decided. No fence is compared: an attempt that read nothing takes over
   * one that holds the order, as one that read it would (its fence moves on, so the older one's writes fail).
   */
  takeUnread(orderId: string, target: OrderTarget, now: Date): Promise<OrderSnapshot | null>;

  storePurchase(orderId: string, fence: number, reference: string): Promise<void>;
  /** The stored reference is unknown to the provider: cleared, with a new purchase generation. */
  forgetPurchase(orderId: string, fence: number): Promise<void>;
  /** Active, with the `order.provisioned` event in the same write; answers the event's id. */
  markActive(orderId: string, fence: number, server: ProvisionedServer, attempt: AttemptRecord): Promise<string>;
  scheduleRetry(orderId: string, fence: number, failure: FailureRecord, nextAttemptAt: Date, attempt: AttemptRecord): Promise<void>;
  /** The provider asked us to slow down: `queued` until `nextAttemptAt`, the attempt not used up. */
  deferAttempt(orderId: string, fence: number, note: string, nextAttemptAt: Date): Promise<void>;
  handBack(orderId: string, fence: number, attempt: AttemptRecord): Promise<void>;
  /** Failed for good, with the `order.failed` event in the same write; answers the event's id. */
  fail(orderId: string, fence: number, failure: FailureRecord, attempt: AttemptRecord): Promise<string>;

  /** Fails an order no attempt holds, if it has not moved since `seen` (bumps the fence); the event's id, or null. */
  refuse(seen: OrderSnapshot, failure: FailureRecord, attempt: AttemptRecord): Promise<string | null>;
  /** The sweeper's verdict on an order with no job that has not moved since `seen`; the event's id, or null. */
  markStalled(seen: OrderSnapshot, message: string, attempt: AttemptRecord): Promise<string | null>;
  recordSkip(orderId: string, attempt: AttemptRecord): Promise<void>;
  /** Counts runs that died with their worker; returns how many in a row now (null: order gone or settled). */
  recordDeaths(orderId: string, deaths: number, attempt: AttemptRecord): Promise<number | null>;
  /** A run got past where earlier ones died: the count of deaths in a row is back to zero. */
  clearDeaths(orderId: string): Promise<void>;

  /** One event of an order's outbox (null: delivered already, or no such order). */
  pendingEvent(orderId: string, eventId: string): Promise<PendingEvent | null>;
  /** Events recorded between `from` and `to` and not delivered yet, for the sweeper to send again. */
  pendingEvents(from: Date, to: Date): AsyncIterable<PendingEvent>;
  /** Delivered: the event leaves the outbox. */
  eventDelivered(orderId: string, eventId: string): Promise<void>;
}
