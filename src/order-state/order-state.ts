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

  /** A succeeded payment: pending → paid (auto-provisioned), and, when asked, the first request. */
  recordPayment(orderId: string, change: { markPaid: boolean; requestFirstAttempt: boolean }, now: Date): Promise<PaymentRecorded>;
  /** A request made a job: `queued`, if nothing changed since `seen` was read (a worker's word wins). */
  markQueued(seen: OrderSnapshot, reason: AttemptReason, now: Date): Promise<boolean>;
  /** The package lock is busy: `queued`, not `provisioning`, unless an attempt took it meanwhile. */
  waitForLock(seen: OrderSnapshot): Promise<void>;
  /** Compare-and-set from `seen`: `provisioning` with a new fence, or null when someone moved it first. */
  take(seen: OrderSnapshot, now: Date): Promise<number | null>;

  storePurchase(orderId: string, fence: number, reference: string): Promise<void>;
  /** The stored reference is unknown to the provider: cleared, with a new purchase generation. */
  forgetPurchase(orderId: string, fence: number): Promise<void>;
  markActive(orderId: string, fence: number, server: ProvisionedServer, attempt: AttemptRecord): Promise<void>;
  scheduleRetry(orderId: string, fence: number, failure: FailureRecord, nextAttemptAt: Date, attempt: AttemptRecord): Promise<void>;
  /** The provider asked us to slow down: `queued` until `nextAttemptAt`, the attempt not used up. */
  deferAttempt(orderId: string, fence: number, note: string, nextAttemptAt: Date): Promise<void>;
  handBack(orderId: string, fence: number, attempt: AttemptRecord): Promise<void>;
  fail(orderId: string, fence: number, failure: FailureRecord, attempt: AttemptRecord): Promise<void>;

  /** Fails an order no attempt holds, if it has not moved since `seen` (bumps the fence). */
  refuse(seen: OrderSnapshot, failure: FailureRecord, attempt: AttemptRecord): Promise<boolean>;
  /** The sweeper's verdict on an order with no job that has not moved since `seen`. */
  markStalled(seen: OrderSnapshot, message: string, attempt: AttemptRecord): Promise<boolean>;
  recordSkip(orderId: string, attempt: AttemptRecord): Promise<void>;
  /** Counts runs that died with their worker; returns how many in a row now (null: order gone or settled). */
  recordDeaths(orderId: string, deaths: number, attempt: AttemptRecord): Promise<number | null>;
  /** A run got past where earlier ones died: the count of deaths in a row is back to zero. */
  clearDeaths(orderId: string): Promise<void>;
}
