import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '../db/errors';
import { LockLostError, StaleAttemptError } from '../domain/errors';
import { decideProvision, type ProvisionDecision } from '../domain/provision-decision';
import { minPollGapMs, pollDueAfterMs } from '../domain/poll-schedule';
import type { AttemptOutcome, AttemptReason } from '../domain/statuses';
import type { EventDispatch } from '../events/order-events';
import type { HeldLock, PackageLocks } from '../locks/package-lock';
import type { ProviderPauses } from '../locks/provider-pauses';
import type { AttemptRecord, FailureRecord, OrderSnapshot, OrderState, OrderTarget } from '../order-state/order-state';
import { ProviderError } from '../providers/provider-error';
import { PROVIDER_NAMES, type ProviderClient, type ProviderName, type Purchase } from '../providers/types';
import { encryptCredentials } from './credentials-cipher';
import { isUnknownReference, obtainPurchase, PurchaseFailedError, recoverLostPurchase } from './obtain-purchase';

/** After this many runs in a row died with their worker (crash, kill) with no progress between, the order fails instead of killing another. */
export const MAX_ATTEMPT_DEATHS = 3;

/** Waiting on a provider's 429s since `since`; the provider's last message, for the failure if it lasts. */
export interface RateLimitWait {
  since: Date;
  message: string;
}

/** An attempt between status calls: the purchase is accepted; a later step polls it again. */
export interface PollStep {
  fence: number;
  provider: ProviderName;
  packageName: string | null;
  reference: string;
  attemptStartedAt: Date;
  /** When the purchase was accepted (bought, found or resumed): the poll schedule counts from it. */
  acceptedAt: Date;
  pollsMade: number;
  /** The package lock kept for the next step (null: none, or it was lost). */
  lockId: string | null;
}

/** One run of a provision job, as the worker hands it over. */
export interface ProvisionPayload {
  orderId: string;
  reason: AttemptReason;
  jobId: string;
  /** 1-based number of this attempt. */
  attempt: number;
  maxAttempts: number;
  /** The order's provider and package as the request read them (absent on jobs enqueued before it existed). */
  target?: OrderTarget;
  /** Since when this job has been waiting for the package lock (set by an earlier postponement). */
  lockWaitSince?: Date;
  rateLimit?: RateLimitWait;
  /** Runs of this job that died with their worker since it last ran to the end (the queue noticed). */
  newDeaths?: number;
  /** Present when this run continues an attempt's polling. */
  poll?: PollStep;
}

export interface Clock {
  now(): Date;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface ProvisionSettings {
  /** The longest wait between two status calls of a purchase (the cadence backs off up to it). */
  pollIntervalMs: number;
  pollTimeoutMs: number;
  lockMaxWaitMs: number;
  lockRetryDelayMs: number;
  /** A buy must only start while the package lock stays ours this long: the buy's timeout plus the grace. */
  buyLockValidityMs: number;
  /** After a buy timed out, how long to look for the purchase it may have made before giving up the lock. */
  buyGraceMs: number;
  /** After how long of 429s in a row the order fails with the provider's message. */
  rateLimitMaxWaitMs: number;
  /** Delay before retry number `attempt`, jittered: computed here once, used by the queue as is. */
  backoffMs(attempt: number): number;
}

export interface ProvisionDeps {
  orders: OrderState;
  providers: Record<ProviderName, ProviderClient>;
  locks: PackageLocks;
  pauses: ProviderPauses;
  /** Sends the web app the event each final change records (order.provisioned, order.failed). */
  events: EventDispatch;
  credentialsKey: Buffer;
  logger: Logger;
  clock: Clock;
  /** Aborted on shutdown: provider calls stop (a buy is let finish) and the attempt is handed back. */
  signal: AbortSignal;
  settings: ProvisionSettings;
  /** The job around this run: told as soon as the package lock is held (the lock wait is over), and once its deaths are counted. */
  job: { lockHeld(): Promise<void>; deathsRecorded(): Promise<void> };
  observe?: {
    attemptFinished?(outcome: AttemptOutcome, provider: ProviderName, durationMs: number): void;
    lockAcquired?(packageName: string, waitedMs: number): void;
    lockBusy?(packageName: string): void;
  };
}

/**
 * What the worker must do with the job:
 * - `done`: finished (active, or nothing to do: `skipped` with why);
 * - `postpone`: not an attempt (lock busy, provider paused): run the job again after `delayMs`;
 * - `park`: the purchase is accepted and not ready: poll again after `delayMs`, holding no worker slot;
 * - `retry`: a transient failure; the queue retries after `delayMs` (computed here, once);
 * - `fail`: permanent, or the last attempt failed; no retry;
 * - `abort`: shutdown (hand the job back at once, unused) or a newer attempt took over (finish).
 */
export type ProvisionOutcome =
  | { kind: 'done'; outcome: 'active'; ipAddress: string }
  | { kind: 'done'; outcome: 'skipped'; why: string }
  | { kind: 'postpone'; delayMs: number; lockWaitSince?: Date; rateLimit?: RateLimitWait }
  | { kind: 'park'; delayMs: number; poll: PollStep; rateLimit?: RateLimitWait }
  | { kind: 'retry'; error: string; delayMs: number }
  | { kind: 'fail'; error: string }
  | { kind: 'abort'; why: 'shutdown' | 'superseded' };

/** What one run knows about the attempt it works on. */
interface AttemptContext {
  payload: ProvisionPayload;
  deps: ProvisionDeps;
  log: Logger;
  provider: ProviderClient;
  providerName: ProviderName;
  packageName: string | null;
  fence: number;
  attemptStartedAt: Date;
  /** When the purchase was accepted (set once it is). */
  acceptedAt: Date;
  lock: HeldLock | null;
}

/**
 * Provisions one order, once, in steps: the first run locks the package (SmartVPS), takes the order by
 * compare-and-set, resumes or looks up before buying, and parks the job; each later run polls the
 * purchase once and parks again until the provider reports an IP. No step holds a worker slot while
 * it waits. Every write after the take is fenced, so a stale attempt can never overwrite a newer one.
 */
export async function provisionOrder(payload: ProvisionPayload, deps: ProvisionDeps): Promise<ProvisionOutcome> {
  const log = deps.logger.child({ orderId: payload.orderId, jobId: payload.jobId, attempt: payload.attempt });
  if (payload.newDeaths) {
    const stopped = await countDeaths(payload, deps, log);
    if (stopped) return stopped;
  }
  const outcome = payload.poll ? await continuePolling(payload, payload.poll, deps, log) : await startAttempt(payload, deps, log);
  // Past the point where the earlier runs died: only deaths in a row, with no progress between, point
  // to an attempt that kills its worker (a worker killed for another reason takes innocent jobs along).
  // (A postponement is no progress: the run took nothing, and the next may die where the last did.)
  if (payload.newDeaths && (outcome.kind === 'park' || outcome.kind === 'retry')) await deps.orders.clearDeaths(payload.orderId);
  return outcome;
}

async function startAttempt(payload: ProvisionPayload, deps: ProvisionDeps, log: Logger): Promise<ProvisionOutcome> {
  // The usual first run: the job names the order's provider and package and has not waited for the lock.
  if (payload.target && !payload.lockWaitSince) {
    const outcome = await takeUnread(payload, payload.target, deps, log);
    if (outcome) return outcome;
  }
  const now = deps.clock.now();
  // The order and the providers' pauses at once: one round trip before the lock, not two (the order
  // names its provider only once read, so both providers are asked).
  const [order, pausedMs] = await Promise.all([
    deps.orders.load(payload.orderId),
    Promise.all(PROVIDER_NAMES.map(async (provider) => [provider, await deps.pauses.remainingMs(provider)] as const)).then((entries) => new Map(entries)),
  ]);
  const decision = decideProvision(order, null, now);
  // This very job settled the order already, and runs again because the answer to that was lost (a
  // failing write whose answer MongoDB lost; a completion Redis lost in a failover): its outcome stands,
  // and the order's history already says so.
  const settledByThisJob = settledBy(payload.jobId, order, decision);
  if (!order || decision.kind !== 'enqueue' || settledByThisJob) {
    const why = settledByThisJob ?? (decision.kind === 'not_provisionable' ? decision.message : decision.kind);
    if (settledByThisJob) return { kind: 'done', outcome: 'skipped', why };
    if (order) await deps.orders.recordSkip(order.id, attemptRecord(payload, now, now, 'skipped', why));
    log.info({ why }, 'nothing to provision');
    return { kind: 'done', outcome: 'skipped', why };
  }

  const paused = rateLimitPause(payload, deps, order.provider, pausedMs.get(order.provider) ?? 0);
  if (paused) return paused.exceeded ? refuse(deps, order, payload, now, paused.exceeded) : paused.outcome;

  let lock: HeldLock | null = null;
  if (order.provider === 'smartvps') {
    if (!order.packageName) {
      return refuse(deps, order, payload, now, 'SmartVPS order has no packageName: cannot choose the package to buy from.');
    }
    lock = await deps.locks.tryAcquire(order.packageName, { id: payload.jobId, queued: payload.lockWaitSince !== undefined });
    if (!lock) return waitForLock(deps, order, payload, now, order.packageName);
  }

  return holdingLock(lock, log, async () => {
    if (lock) deps.observe?.lockAcquired?.(lock.packageName, now.getTime() - (payload.lockWaitSince ?? now).getTime());
    // The wait is over: a worker that dies from here on must not leave the next run an old wait to count.
    if (lock) await deps.job.lockHeld();
    const fence = await deps.orders.take(order, now);
    if (fence === null) {
      log.info('another attempt took the order first; leaving it to that attempt');
      return { kind: 'abort', why: 'superseded' };
    }
    return runFirstStep(attemptContext(payload, deps, log, order, fence, lock, now), order);
  });
}

/** Why there is nothing left for job `jobId` to do to an order it settled itself (null: it did not). */
function settledBy(jobId: string, order: OrderSnapshot | null, decision: ProvisionDecision): string | null {
  const last = order?.lastAttempt;
  if (!order || last?.jobId !== jobId) return null;
  if (order.provisioningStatus === 'failed' && last.outcome === 'failed') return 'already failed by this job';
  if (decision.kind === 'already_active' && last.outcome === 'active') return 'already made active by this job';
  return null;
}

/**
 * The usual first run, in two round trips before the provider's: the package lock (SmartVPS) and the
 * provider's pause at once, then the order taken unread in one conditional write that answers it, while
 * the provider is asked for an earlier purchase. That answer counts only once the take succeeded, as if
 * asked after it: a purchase an older attempt made is at the provider before our take, and one it makes
 * after our look-up would be missed either way (its idempotency key, ours too, keeps it from buying
 * twice). Null when anything is unusual (the lock busy, the provider paused, the order not as the job
 * names it): nothing was written, and the step reads the order and decides.
 */
async function takeUnread(payload: ProvisionPayload, target: OrderTarget, deps: ProvisionDeps, log: Logger): Promise<ProvisionOutcome | null> {
  const now = deps.clock.now();
  const packageName = target.provider === 'smartvps' ? target.packageName : null;
  if (target.provider === 'smartvps' && !packageName) return null;
  const [locking, pausing] = await Promise.allSettled([packageName ? deps.locks.tryAcquire(packageName) : null, deps.pauses.remainingMs(target.provider)]);
  const lock = locking.status === 'fulfilled' ? locking.value : null;
  if (pausing.status === 'rejected') {
    // A lock granted beside a failed read must not stay held (and renewed) by nobody.
    await lock?.release().catch(() => undefined);
    throw pausing.reason;
  }
  if (locking.status === 'rejected') throw locking.reason;
  if (packageName && !lock) return null;
  const pausedMs = pausing.value;
  return holdingLock(lock, log, async () => {
    if (pausedMs > 0) return null;
    const earlier = deps.providers[target.provider].findPurchase(payload.orderId, { signal: deps.signal });
    // Its answer, or its error, is read only if the take succeeds.
    earlier.catch(() => undefined);
    const order = await deps.orders.takeUnread(payload.orderId, target, now);
    if (!order) return null;
    if (lock) deps.observe?.lockAcquired?.(lock.packageName, 0);
    return runFirstStep(attemptContext(payload, deps, log, order, order.fence, lock, now), order, earlier);
  });
}

/** A taken attempt's context, logged as it starts. */
function attemptContext(payload: ProvisionPayload, deps: ProvisionDeps, log: Logger, order: OrderSnapshot, fence: number, lock: HeldLock | null, now: Date): AttemptContext {
  const ctx: AttemptContext = {
    payload,
    deps,
    log: log.child({ fence }),
    provider: deps.providers[order.provider],
    providerName: order.provider,
    packageName: order.packageName,
    fence,
    attemptStartedAt: now,
    acceptedAt: now,
    lock,
  };
  ctx.log.info({ provider: order.provider, packageName: order.packageName }, 'provisioning');
  return ctx;
}

/**
 * Runs a step under the package lock (if any): the lock is kept, in Redis, only when the step parks for
 * a later one to resume; whatever else the step ends in, or throws, releases it.
 */
async function holdingLock<T extends ProvisionOutcome | null>(lock: HeldLock | null, log: Logger, step: () => Promise<T>): Promise<T> {
  let keepLock = false;
  try {
    const outcome = await step();
    keepLock = outcome?.kind === 'park';
    return outcome;
  } finally {
    if (lock && !keepLock) await lock.release().catch((error: unknown) => log.warn({ err: error }, 'package lock release failed; it expires by its TTL'));
  }
}

/** `earlier`: the provider's answer to a look-up already asked for this order (see takeUnread). */
async function runFirstStep(ctx: AttemptContext, order: OrderSnapshot, earlier?: Promise<Purchase | null>): Promise<ProvisionOutcome> {
  try {
    const purchase = await obtainPurchase(ctx, order, earlier);
    ctx.acceptedAt = ctx.deps.clock.now();
    return await settleOrPark(ctx, purchase, 0, null);
  } catch (error) {
    return handleFailure(ctx, error, 'first');
  }
}

async function continuePolling(payload: ProvisionPayload, step: PollStep, deps: ProvisionDeps, log: Logger): Promise<ProvisionOutcome> {
  // No read of the order: a poll only asks the provider, and every write it makes is fenced anyway.
  let lock: HeldLock | null = null;
  if (step.lockId && step.packageName) {
    lock = await deps.locks.resume(step.packageName, step.lockId);
    if (!lock) log.warn({ packageName: step.packageName }, 'the package lock kept between polls expired and another holder took it; polling on without it');
  }
  const ctx: AttemptContext = {
    payload,
    deps,
    log: log.child({ fence: step.fence }),
    provider: deps.providers[step.provider],
    providerName: step.provider,
    packageName: step.packageName,
    fence: step.fence,
    attemptStartedAt: step.attemptStartedAt,
    acceptedAt: step.acceptedAt,
    lock,
  };
  return holdingLock(lock, log, async () => {
    const paused = await deps.pauses.remainingMs(step.provider);
    return paused > 0 ? park(ctx, step.reference, step.pollsMade, paused, payload.rateLimit) : pollOnce(ctx, step);
  });
}

async function pollOnce(ctx: AttemptContext, step: PollStep): Promise<ProvisionOutcome> {
  try {
    let purchase: Purchase;
    const calledAt = ctx.deps.clock.now();
    try {
      purchase = await ctx.provider.getPurchase(step.reference, { signal: ctx.deps.signal });
    } catch (error) {
      if (!isUnknownReference(error)) throw error;
      purchase = await recoverLostPurchase(ctx, null, step.reference);
      // A new purchase: its schedule starts over.
      ctx.acceptedAt = ctx.deps.clock.now();
      return await settleOrPark(ctx, purchase, 0, null);
    }
    return await settleOrPark(ctx, purchase, step.pollsMade + 1, calledAt);
  } catch (error) {
    return handleFailure(ctx, error, 'poll', step);
  }
}

/**
 * Active with an IP: store it and finish. Failed at the provider: fail. Otherwise park until the next
 * status call is due (`lastCallAt`: when the call just made started, so the next starts a second later at
 * the earliest).
 */
async function settleOrPark(ctx: AttemptContext, purchase: Purchase, pollsMade: number, lastCallAt: Date | null): Promise<ProvisionOutcome> {
  if (purchase.status === 'failed') {
    throw new PurchaseFailedError(`${ctx.provider.name} failed the purchase: ${purchase.error ?? 'no reason given'}`);
  }
  if (purchase.status === 'active' && purchase.ipAddress) return markActive(ctx, purchase, purchase.ipAddress);
  const waited = ctx.deps.clock.now().getTime() - ctx.attemptStartedAt.getTime();
  if (waited > ctx.deps.settings.pollTimeoutMs) {
    throw new PollTimeoutError(`${ctx.provider.name} assigned no IP within ${Math.round(ctx.deps.settings.pollTimeoutMs / 1000)} s`);
  }
  const maxMs = ctx.deps.settings.pollIntervalMs;
  const now = ctx.deps.clock.now().getTime();
  const due = ctx.acceptedAt.getTime() + pollDueAfterMs(pollsMade, maxMs);
  const earliest = lastCallAt ? lastCallAt.getTime() + minPollGapMs(maxMs) : now;
  return park(ctx, purchase.reference, pollsMade, Math.max(0, due - now, earliest - now));
}

async function park(ctx: AttemptContext, reference: string, pollsMade: number, delayMs: number, rateLimit?: RateLimitWait): Promise<ProvisionOutcome> {
  let lockId: string | null = null;
  if (ctx.lock) {
    // Kept in Redis across the wait, so no other order buys on the package until the IP is known.
    lockId = (await ctx.lock.keepFor(delayMs)) ? ctx.lock.identifier : null;
    if (!lockId) ctx.log.warn({ packageName: ctx.lock.packageName }, 'package lock lost while polling; polling on without it');
  }
  return {
    kind: 'park',
    delayMs,
    poll: {
      fence: ctx.fence,
      provider: ctx.providerName,
      packageName: ctx.packageName,
      reference,
      attemptStartedAt: ctx.attemptStartedAt,
      acceptedAt: ctx.acceptedAt,
      pollsMade,
      lockId,
    },
    ...(rateLimit ? { rateLimit } : {}),
  };
}

async function markActive(ctx: AttemptContext, purchase: Purchase, ipAddress: string): Promise<ProvisionOutcome> {
  const { deps, payload } = ctx;
  const now = deps.clock.now();
  const credentials = purchase.credentials ? encryptCredentials(purchase.credentials, deps.credentialsKey, payload.orderId) : null;
  const record = attemptRecord(payload, ctx.attemptStartedAt, now, 'active', null);
  await deps.events.dispatch(payload.orderId, await deps.orders.markActive(payload.orderId, ctx.fence, { ipAddress, credentialsEncrypted: credentials }, record));
  deps.observe?.attemptFinished?.('active', ctx.providerName, record.durationMs);
  ctx.log.info({ ipAddress, durationMs: record.durationMs }, 'order is active');
  return { kind: 'done', outcome: 'active', ipAddress };
}

class PollTimeoutError extends Error {
  override readonly name = 'PollTimeoutError';
}

/**
 * Turns an attempt's failure into the job's next move and the order's record. `stage` says whether a
 * shutdown hands back a whole attempt (`first`) or only a poll, which just runs again.
 */
async function handleFailure(ctx: AttemptContext, error: unknown, stage: 'first' | 'poll', step?: PollStep): Promise<ProvisionOutcome> {
  const { deps, payload, log } = ctx;
  if (error instanceof StaleAttemptError) {
    log.warn('a newer attempt took the order; this attempt stops without writing');
    return { kind: 'abort', why: 'superseded' };
  }
  // MongoDB did not answer: not the attempt's failure, and the write that failed may have been applied
  // all the same (an answer lost on the way back). The worker runs the step again later, as it was,
  // with no attempt used; recording a retry here would use one for nothing, or repeat a finished order.
  if (isDatabaseUnavailable(error)) throw error;
  const now = deps.clock.now();
  const message = errorMessage(error);
  if (deps.signal.aborted) {
    if (stage === 'poll' && step) return park(ctx, step.reference, step.pollsMade, 0, payload.rateLimit);
    // Shutdown: hand the attempt back unused; a purchase reference (if any) is stored, so the next run resumes.
    await deps.orders.handBack(payload.orderId, ctx.fence, attemptRecord(payload, ctx.attemptStartedAt, now, 'aborted', 'worker shutting down')).catch(ignoreStale);
    deps.observe?.attemptFinished?.('aborted', ctx.providerName, now.getTime() - ctx.attemptStartedAt.getTime());
    return { kind: 'abort', why: 'shutdown' };
  }
  if (error instanceof LockLostError) {
    // Not this attempt's fault and nothing was bought: hand it back and try again soon.
    await deps.orders.handBack(payload.orderId, ctx.fence, attemptRecord(payload, ctx.attemptStartedAt, now, 'aborted', message)).catch(ignoreStale);
    log.warn({ error: message }, 'the package lock is not safely ours; not buying, trying again shortly');
    return { kind: 'postpone', delayMs: deps.settings.lockRetryDelayMs };
  }
  if (error instanceof ProviderError && error.kind === 'rate_limited') return rateLimited(ctx, error, step);

  // The provider gave up on the purchase, or refused the buy itself: a Retry buys anew, under a new key.
  const abandonPurchase = error instanceof PurchaseFailedError || (error instanceof ProviderError && !error.retryable && error.details.operation === 'buy');
  const permanent = error instanceof PurchaseFailedError || (error instanceof ProviderError && !error.retryable);
  if (permanent || payload.attempt >= payload.maxAttempts) {
    const failed = await failTaken(ctx, now, { error: message, abandonPurchase });
    log.warn({ error: message, permanent }, 'provisioning failed');
    return failed;
  }
  const delayMs = deps.settings.backoffMs(payload.attempt);
  const record = attemptRecord(payload, ctx.attemptStartedAt, now, 'retrying', message);
  await deps.orders.scheduleRetry(payload.orderId, ctx.fence, { error: message, abandonPurchase }, new Date(now.getTime() + delayMs), record).catch(ignoreStale);
  deps.observe?.attemptFinished?.('retrying', ctx.providerName, record.durationMs);
  log.warn({ error: message, delayMs }, 'attempt failed; will retry');
  return { kind: 'retry', error: message, delayMs };
}

/** Retry-After, bounded: at least a second, at most five minutes. */
const RETRY_AFTER_MIN_MS = 1_000;
const RETRY_AFTER_MAX_MS = 300_000;

/**
 * A 429 is "slow down", not a failure: pause that provider for everyone as long as it asks, use no
 * attempt, and wait; only after RATE_LIMIT_MAX_WAIT_MS of it does the order fail, with the provider's word.
 */
async function rateLimited(ctx: AttemptContext, error: ProviderError, step: PollStep | undefined): Promise<ProvisionOutcome> {
  const { deps, payload, log } = ctx;
  const now = deps.clock.now();
  const waitMs = Math.min(RETRY_AFTER_MAX_MS, Math.max(RETRY_AFTER_MIN_MS, error.details.retryAfterMs ?? RETRY_AFTER_MIN_MS));
  await deps.pauses.pause(ctx.providerName, waitMs);
  const rateLimit: RateLimitWait = { since: payload.rateLimit?.since ?? now, message: error.message };
  const waitedMs = now.getTime() - rateLimit.since.getTime();
  if (waitedMs + waitMs > deps.settings.rateLimitMaxWaitMs) {
    const message = rateLimitedTooLong(error.message, waitedMs, deps.settings.rateLimitMaxWaitMs);
    const failed = await failTaken(ctx, now, { error: message });
    log.warn({ error: message }, 'provisioning failed: rate limited for too long');
    return failed;
  }
  log.warn({ error: error.message, waitMs }, 'provider asked us to slow down; pausing it');
  // Mid-poll the purchase is accepted: keep polling later, under the lock. Before it, give the attempt back.
  if (step) return park(ctx, step.reference, step.pollsMade, waitMs, rateLimit);
  const note = `${error.message}: waiting ${Math.ceil(waitMs / 1000)} s as the provider asked`;
  await deps.orders.deferAttempt(payload.orderId, ctx.fence, note, new Date(now.getTime() + waitMs)).catch(ignoreStale);
  return { kind: 'postpone', delayMs: waitMs, rateLimit };
}

function rateLimitedTooLong(message: string, waitedMs: number, limitMs: number): string {
  return `${message} (rate limited for ${Math.round(waitedMs / 1000)} s, limit ${Math.round(limitMs / 1000)} s)`;
}

/** Before the take: the provider is paused (another job's 429) for `remaining` ms; wait it out, or fail past the limit. */
function rateLimitPause(payload: ProvisionPayload, deps: ProvisionDeps, provider: ProviderName, remaining: number): { exceeded?: string; outcome: ProvisionOutcome } | null {
  if (remaining === 0) return null;
  const now = deps.clock.now();
  const rateLimit: RateLimitWait = payload.rateLimit ?? { since: now, message: `${provider} asked us to slow down (HTTP 429)` };
  const waitedMs = now.getTime() - rateLimit.since.getTime();
  // A wait for the package lock goes on through the pause: its clock and its place in line are kept.
  const outcome: ProvisionOutcome = { kind: 'postpone', delayMs: remaining, rateLimit, ...(payload.lockWaitSince ? { lockWaitSince: payload.lockWaitSince } : {}) };
  if (waitedMs + remaining > deps.settings.rateLimitMaxWaitMs) {
    return { exceeded: rateLimitedTooLong(rateLimit.message, waitedMs, deps.settings.rateLimitMaxWaitMs), outcome };
  }
  return { outcome };
}

async function waitForLock(deps: ProvisionDeps, order: OrderSnapshot, payload: ProvisionPayload, now: Date, packageName: string): Promise<ProvisionOutcome> {
  const lockWaitSince = payload.lockWaitSince ?? now;
  const waitedMs = now.getTime() - lockWaitSince.getTime();
  if (waitedMs >= deps.settings.lockMaxWaitMs) {
    const minutes = (waitedMs / 60_000).toFixed(1);
    return refuse(deps, order, payload, now, `Lock acquisition failed: package ${packageName} was busy for ${minutes} min (limit ${deps.settings.lockMaxWaitMs / 60_000} min)`);
  }
  deps.observe?.lockBusy?.(packageName);
  await deps.orders.waitForLock(order);
  return { kind: 'postpone', delayMs: deps.settings.lockRetryDelayMs, lockWaitSince };
}

/** Fails a taken attempt for good and sends the web app its event; a newer attempt's fence wins. */
async function failTaken(ctx: AttemptContext, now: Date, failure: FailureRecord): Promise<ProvisionOutcome> {
  const record = attemptRecord(ctx.payload, ctx.attemptStartedAt, now, 'failed', failure.error);
  try {
    await ctx.deps.events.dispatch(ctx.payload.orderId, await ctx.deps.orders.fail(ctx.payload.orderId, ctx.fence, failure, record));
  } catch (error) {
    ignoreStale(error);
  }
  ctx.deps.observe?.attemptFinished?.('failed', ctx.providerName, record.durationMs);
  return { kind: 'fail', error: failure.error };
}

/** Fails an order before any attempt took it. */
async function refuse(deps: ProvisionDeps, order: OrderSnapshot, payload: ProvisionPayload, now: Date, message: string): Promise<ProvisionOutcome> {
  const record = attemptRecord(payload, now, now, 'failed', message);
  const eventId = await deps.orders.refuse(order, { error: message }, record);
  if (eventId) await deps.events.dispatch(order.id, eventId);
  deps.observe?.attemptFinished?.('failed', order.provider, record.durationMs);
  deps.logger.warn({ orderId: payload.orderId, jobId: payload.jobId, attempt: payload.attempt, error: message }, 'provisioning failed');
  return { kind: 'fail', error: message };
}

/** Records runs that died with their worker; past MAX_ATTEMPT_DEATHS the order fails instead of killing another. */
async function countDeaths(payload: ProvisionPayload, deps: ProvisionDeps, log: Logger): Promise<ProvisionOutcome | null> {
  const now = deps.clock.now();
  const deaths = payload.newDeaths ?? 0;
  const note = `the worker running this attempt stopped without finishing it (${deaths === 1 ? 'once' : `${deaths} times`})`;
  const total = await deps.orders.recordDeaths(payload.orderId, deaths, attemptRecord(payload, now, now, 'died', note));
  await deps.job.deathsRecorded();
  log.warn({ deaths, total }, 'an earlier run of this job died with its worker');
  if (total === null || total < MAX_ATTEMPT_DEATHS) return null;
  const order = await deps.orders.load(payload.orderId);
  if (!order) return { kind: 'done', outcome: 'skipped', why: 'not_found' };
  const message = `Provisioning failed: the attempt died with its worker ${total} times in a row (a crash or kill while provisioning this order). Press Retry once the cause is fixed.`;
  if (payload.poll?.lockId && order.packageName) await (await deps.locks.resume(order.packageName, payload.poll.lockId))?.release();
  return refuse(deps, order, payload, now, message);
}

export function attemptRecord(payload: ProvisionPayload, startedAt: Date, now: Date, outcome: AttemptOutcome, error: string | null): AttemptRecord {
  return {
    at: startedAt,
    reason: payload.reason,
    jobId: payload.jobId,
    attempt: payload.attempt,
    outcome,
    error,
    durationMs: now.getTime() - startedAt.getTime(),
  };
}

function ignoreStale(error: unknown): void {
  if (!(error instanceof StaleAttemptError)) throw error;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export type { AttemptContext };
