import type { ProvisioningStatus } from './statuses';

/** An order's provisioning status; `null` is an order the web app wrote and nobody asked to provision yet. */
export type ProvisioningState = ProvisioningStatus | null;

interface Transition {
  /** The provisioning statuses the change may start from; anything else leaves the order untouched. */
  readonly from: readonly ProvisioningState[];
  /** The status it leaves the order in (`null`: the status is not changed). */
  readonly to: ProvisioningState;
  /** Whether it is a write of a taken attempt, applied only while the order carries that attempt's fence. */
  readonly fenced: boolean;
}

const UNFINISHED: readonly ProvisioningState[] = [null, 'queued', 'provisioning', 'failed'];

/**
 * Every named change of an order's provisioning state, and nothing else: the order-state module (and
 * only it) writes these, each as one conditional update built from this table. An `active` order is
 * never moved by any of them.
 */
export const ORDER_TRANSITIONS = {
  /** A payment asks for the first attempt of an order nobody has asked to provision yet. */
  recordPayment: { from: [null], to: 'queued', fenced: false },
  /** A request (admin, app, sweeper) made a job: the order waits for it. Only if unchanged since read. */
  markQueued: { from: UNFINISHED, to: 'queued', fenced: false },
  /** The package lock is busy: the job waits, and the order says so, never `provisioning`. */
  waitForLock: { from: UNFINISHED, to: 'queued', fenced: false },
  /** An attempt takes the order by compare-and-set and bumps the fence. */
  take: { from: UNFINISHED, to: 'provisioning', fenced: false },
  /**
   * The same, for an order the attempt has not read (its job names the provider and package): never
   * from `failed`, which is read and decided first (a Retry not yet marked queued, or this job's own failure).
   */
  takeUnread: { from: [null, 'queued', 'provisioning'], to: 'provisioning', fenced: false },
  /** The provider accepted a purchase (or one was found): its reference, stored at once. */
  storePurchase: { from: ['provisioning'], to: 'provisioning', fenced: true },
  /** The provider no longer knows the stored reference: clear it and start a new purchase generation. */
  forgetPurchase: { from: ['provisioning'], to: 'provisioning', fenced: true },
  /** The provider reported an IP. */
  markActive: { from: ['provisioning'], to: 'active', fenced: true },
  /** A transient failure: the next attempt runs after the backoff. */
  scheduleRetry: { from: ['provisioning'], to: 'queued', fenced: true },
  /** The provider asked us to slow down (429): the attempt waits without being used up. */
  deferAttempt: { from: ['provisioning'], to: 'queued', fenced: true },
  /** Shutdown: the attempt goes back to the queue unused. */
  handBack: { from: ['provisioning'], to: 'queued', fenced: true },
  /** A taken attempt failed for good (permanent error, or the last attempt). */
  fail: { from: ['provisioning'], to: 'failed', fenced: true },
  /** Failed before any attempt took the order (bad order data, lock or rate-limit wait exceeded, repeated worker deaths). */
  refuse: { from: UNFINISHED, to: 'failed', fenced: false },
  /** The sweeper: an unfinished order with no job and no movement for STUCK_AFTER_MS. */
  markStalled: { from: ['queued', 'provisioning'], to: 'failed', fenced: false },
  /** A job found nothing to do (the order was cancelled, or is already active): history only. */
  recordSkip: { from: [...UNFINISHED, 'active'], to: null, fenced: false },
  /** Attempts that died with their worker (a stalled job): counted, the status unchanged. */
  recordDeaths: { from: UNFINISHED, to: null, fenced: false },
  /** The attempt got past where it died: the deaths in a row start again from zero. */
  clearDeaths: { from: UNFINISHED, to: null, fenced: false },
} as const satisfies Record<string, Transition>;

export type OrderTransition = keyof typeof ORDER_TRANSITIONS;

/** Whether `transition` may start from `status` (the in-memory check; MongoDB filters by the same list). */
export function allows(transition: OrderTransition, status: ProvisioningState | undefined): boolean {
  return (ORDER_TRANSITIONS[transition].from as readonly ProvisioningState[]).includes(status ?? null);
}
