import type { Logger } from 'pino';
import { fenceIs, MAX_ATTEMPT_HISTORY, type Attempt, type Order, type OrderModel } from '../db/order-model';
import { LockLostError, StaleAttemptError } from '../domain/errors';
import { decideProvision } from '../domain/provision-decision';
import { PAID_STATUSES, type AttemptOutcome, type AttemptReason } from '../domain/statuses';
import type { PackageLocks, HeldLock } from '../locks/package-lock';
import { ProviderError } from '../providers/provider-error';
import type { ProviderClient, ProviderName, Purchase } from '../providers/types';
import { encryptCredentials } from './credentials-cipher';

/** One run of a provision job, as the worker hands it over. */
export interface ProvisionPayload {
  orderId: string;
  reason: AttemptReason;
  jobId: string;
  /** 1-based number of this attempt. */
  attempt: number;
  maxAttempts: number;
  /** Since when this job has been waiting for the package lock (set by an earlier postponement). */
  lockWaitSince?: Date;
}

export interface ProvisionDeps {
  orders: OrderModel;
  providers: Record<ProviderName, ProviderClient>;
  locks: PackageLocks;
  credentialsKey: Buffer;
  logger: Logger;
  clock: { now(): Date; sleep(ms: number, signal: AbortSignal): Promise<void> };
  /** Aborted on shutdown: provider calls and polling stop, and the attempt is handed back. */
  signal: AbortSignal;
  settings: {
    pollIntervalMs: number;
    pollTimeoutMs: number;
    lockMaxWaitMs: number;
    /** Delay before retry number `attempt` (the same function the queue's backoff uses). */
    backoffMs(attempt: number): number;
  };
  observe?: {
    attemptFinished?(outcome: AttemptOutcome, provider: ProviderName, durationMs: number): void;
    lockAcquired?(packageName: string, waitedMs: number): void;
    lockBusy?(packageName: string): void;
  };
}

/**
 * What the worker must do with the job:
 * - `done`: finished (active, or nothing to do: `skipped` with why);
 * - `postpone`: the package lock is busy; delay the job without using an attempt;
 * - `retry`: a transient failure; let the queue retry with the staged backoff;
 * - `fail`: permanent, or the last attempt failed; no retry;
 * - `abort`: shutdown or a newer attempt took over; hand the job back without using an attempt.
 */
export type ProvisionOutcome =
  | { kind: 'done'; outcome: 'active'; ipAddress: string }
  | { kind: 'done'; outcome: 'skipped'; why: string }
  | { kind: 'postpone'; lockWaitSince: Date; packageName: string }
  | { kind: 'retry'; error: string; nextAttemptAt: Date }
  | { kind: 'fail'; error: string }
  | { kind: 'abort'; why: string };

type OrderFields = Pick<Order, '_id' | 'status' | 'provider' | 'provisioningStatus' | 'ipAddress' | 'autoProvisioned' | 'fence' | 'providerReference' | 'packageName' | 'plan' | 'os' | 'purchaseGeneration'>;

/**
 * Provisions one order, once: lock (SmartVPS), take the order by compare-and-set, resume or look up
 * before buying, poll for the IP, then write the result. Every write after the take is fenced, so a
 * stale attempt can never overwrite a newer one.
 */
export async function provisionOrder(payload: ProvisionPayload, deps: ProvisionDeps): Promise<ProvisionOutcome> {
  const startedAt = deps.clock.now();
  const log = deps.logger.child({ orderId: payload.orderId, jobId: payload.jobId, attempt: payload.attempt });
  const order = await deps.orders.findById(payload.orderId).lean<OrderFields>();
  const decision = decideProvision(order, null, startedAt);
  if (!order || decision.kind !== 'enqueue') {
    const why = decision.kind === 'not_provisionable' ? decision.message : decision.kind;
    if (order && decision.kind === 'not_provisionable') await recordUnfenced(deps, order, attemptEntry(payload, startedAt, deps, 'skipped', why));
    log.info({ why }, 'nothing to provision');
    return { kind: 'done', outcome: 'skipped', why };
  }

  let lock: HeldLock | null = null;
  if (order.provider === 'smartvps') {
    if (!order.packageName) {
      return failUnfenced(deps, order, payload, startedAt, 'SmartVPS order has no packageName: cannot choose the package to buy from.');
    }
    lock = await deps.locks.tryAcquire(order.packageName, payload.jobId);
    if (!lock) return postpone(deps, order, payload, startedAt, order.packageName);
    deps.observe?.lockAcquired?.(order.packageName, startedAt.getTime() - (payload.lockWaitSince ?? startedAt).getTime());
  }

  try {
    return await runAttempt(order, lock, payload, deps, startedAt, log);
  } finally {
    await lock?.release().catch((error: unknown) => log.warn({ err: error }, 'package lock release failed; it expires by its TTL'));
  }
}

async function runAttempt(
  order: OrderFields,
  lock: HeldLock | null,
  payload: ProvisionPayload,
  deps: ProvisionDeps,
  startedAt: Date,
  log: Logger,
): Promise<ProvisionOutcome> {
  const fence = await takeOrder(deps, order, startedAt);
  if (fence === null) {
    log.info('another attempt took the order first; leaving it to that attempt');
    return { kind: 'abort', why: 'superseded' };
  }
  const attemptLog = log.child({ fence });
  attemptLog.info({ provider: order.provider, packageName: order.packageName }, 'provisioning');
  const attempt = attemptSignal([deps.signal, lock?.lostSignal]);
  const signal = attempt.signal;
  const provider = deps.providers[order.provider];
  try {
    const purchase = await obtainPurchase(order, fence, provider, lock, deps, signal, attemptLog);
    const ready = await pollUntilReady(purchase, provider, deps, signal, startedAt);
    const entry = attemptEntry(payload, startedAt, deps, 'active', null);
    const credentials = ready.credentials ? encryptCredentials(ready.credentials, deps.credentialsKey, String(order._id)) : null;
    await fencedWrite(deps, order, fence, {
      $set: {
        status: 'active',
        provisioningStatus: 'active',
        ipAddress: ready.ipAddress,
        credentialsEncrypted: credentials,
        provisioningError: null,
        nextAttemptAt: null,
      },
      $push: { attempts: { $each: [entry], $slice: -MAX_ATTEMPT_HISTORY } },
    });
    deps.observe?.attemptFinished?.('active', order.provider, entry.durationMs);
    attemptLog.info({ ipAddress: ready.ipAddress, durationMs: entry.durationMs }, 'order is active');
    return { kind: 'done', outcome: 'active', ipAddress: ready.ipAddress as string };
  } catch (error) {
    const cause = lock?.lostSignal.aborted && !deps.signal.aborted ? new LockLostError(`Lost the lock on package ${lock.packageName} during the attempt`) : error;
    return handleFailure(cause, order, fence, payload, deps, startedAt, attemptLog);
  } finally {
    attempt.dispose();
  }
}

/**
 * One signal for the attempt that aborts when any source does. Built by hand rather than with
 * `AbortSignal.any`, which on Node 20 keeps every composite alive as long as the process-long shutdown
 * signal (a few hundred bytes per order); the listeners here are removed when the attempt ends.
 */
function attemptSignal(sources: (AbortSignal | undefined)[]): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const listeners = sources
    .filter((source): source is AbortSignal => source !== undefined)
    .map((source) => {
      const abort = () => controller.abort(source.reason);
      if (source.aborted) abort();
      else source.addEventListener('abort', abort, { once: true });
      return () => source.removeEventListener('abort', abort);
    });
  return { signal: controller.signal, dispose: () => listeners.forEach((remove) => remove()) };
}

/** Compare-and-set: marks the order `provisioning` and bumps the fencing counter; null if someone else moved it first. */
async function takeOrder(deps: ProvisionDeps, order: OrderFields, now: Date): Promise<number | null> {
  const taken = await deps.orders.findOneAndUpdate(
    { _id: order._id, fence: fenceIs(order.fence), status: { $in: PAID_STATUSES }, provisioningStatus: { $ne: 'active' } },
    {
      $set: { provisioningStatus: 'provisioning', lastProvisionAttempt: now, nextAttemptAt: null, provisioningError: null },
      $inc: { fence: 1 },
    },
    { returnDocument: 'after', projection: { fence: 1 } },
  ).lean<{ fence: number }>();
  return taken ? taken.fence : null;
}

/** Resume the accepted purchase, or find one made earlier, or buy (idempotently) and store its reference at once. */
async function obtainPurchase(
  order: OrderFields,
  fence: number,
  provider: ProviderClient,
  lock: HeldLock | null,
  deps: ProvisionDeps,
  signal: AbortSignal,
  log: Logger,
): Promise<Purchase> {
  if (order.providerReference) {
    log.info({ providerReference: order.providerReference }, 'resuming the accepted purchase');
    return provider.getPurchase(order.providerReference, { signal });
  }
  const orderReference = String(order._id);
  const existing = await provider.findPurchase(orderReference, { signal });
  if (existing && existing.status !== 'failed') {
    log.info({ providerReference: existing.reference }, 'found an earlier purchase at the provider; not buying again');
    await fencedWrite(deps, order, fence, { $set: { providerReference: existing.reference } });
    return existing;
  }
  // The lock must still be ours right before buying: a lost lock means another worker may be buying now.
  // Asked of Redis, not a cached flag: a worker cut off from Redis would never see its lock expire.
  if (lock && !(await lock.confirm())) throw new LockLostError(`Lost the lock on package ${lock.packageName} before buying`);
  const purchase = await provider.buy(
    {
      orderReference,
      idempotencyKey: `order-${orderReference}-${order.purchaseGeneration ?? 0}`,
      plan: order.plan,
      os: order.os,
      ...(order.packageName ? { packageName: order.packageName } : {}),
    },
    { signal },
  );
  await fencedWrite(deps, order, fence, { $set: { providerReference: purchase.reference } });
  log.info({ providerReference: purchase.reference }, 'purchase accepted');
  return purchase;
}

class PurchaseFailedError extends Error {
  override readonly name = 'PurchaseFailedError';
}

class PollTimeoutError extends Error {
  override readonly name = 'PollTimeoutError';
}

async function pollUntilReady(initial: Purchase, provider: ProviderClient, deps: ProvisionDeps, signal: AbortSignal, startedAt: Date): Promise<Purchase> {
  let purchase = initial;
  for (;;) {
    if (purchase.status === 'failed') {
      throw new PurchaseFailedError(`${provider.name} failed the purchase: ${purchase.error ?? 'no reason given'}`);
    }
    if (purchase.status === 'active' && purchase.ipAddress) return purchase;
    if (deps.clock.now().getTime() - startedAt.getTime() > deps.settings.pollTimeoutMs) {
      throw new PollTimeoutError(`${provider.name} assigned no IP within ${Math.round(deps.settings.pollTimeoutMs / 1000)} s`);
    }
    await deps.clock.sleep(deps.settings.pollIntervalMs, signal);
    purchase = await provider.getPurchase(purchase.reference, { signal });
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function handleFailure(
  error: unknown,
  order: OrderFields,
  fence: number,
  payload: ProvisionPayload,
  deps: ProvisionDeps,
  startedAt: Date,
  log: Logger,
): Promise<ProvisionOutcome> {
  if (error instanceof StaleAttemptError) {
    log.warn('a newer attempt took the order; this attempt stops without writing');
    return { kind: 'abort', why: 'superseded' };
  }
  const message = errorMessage(error);
  if (deps.signal.aborted) {
    // Shutdown: hand the job back unharmed; the purchase reference (if any) is stored, so the next run resumes.
    await fencedWrite(deps, order, fence, {
      $set: { provisioningStatus: 'queued' },
      $push: { attempts: { $each: [attemptEntry(payload, startedAt, deps, 'aborted', 'worker shutting down')], $slice: -MAX_ATTEMPT_HISTORY } },
    }).catch(() => undefined);
    deps.observe?.attemptFinished?.('aborted', order.provider, deps.clock.now().getTime() - startedAt.getTime());
    return { kind: 'abort', why: 'shutdown' };
  }
  const permanent = (error instanceof ProviderError && !error.retryable) || error instanceof PurchaseFailedError;
  const lastAttempt = payload.attempt >= payload.maxAttempts;
  const update: Record<string, unknown> = {};
  if (error instanceof PurchaseFailedError) {
    // The provider gave up on that purchase: a later retry must buy anew, with a new idempotency key.
    update.providerReference = null;
    update.purchaseGeneration = (order.purchaseGeneration ?? 0) + 1;
  }
  if (permanent || lastAttempt) {
    const entry = attemptEntry(payload, startedAt, deps, 'failed', message);
    await fencedWrite(deps, order, fence, {
      $set: { ...update, provisioningStatus: 'failed', provisioningError: message, nextAttemptAt: null },
      $push: { attempts: { $each: [entry], $slice: -MAX_ATTEMPT_HISTORY } },
    }).catch(ignoreStale);
    deps.observe?.attemptFinished?.('failed', order.provider, entry.durationMs);
    log.warn({ error: message, permanent }, 'provisioning failed');
    return { kind: 'fail', error: message };
  }
  const nextAttemptAt = new Date(deps.clock.now().getTime() + deps.settings.backoffMs(payload.attempt));
  const entry = attemptEntry(payload, startedAt, deps, 'retrying', message);
  await fencedWrite(deps, order, fence, {
    $set: { ...update, provisioningStatus: 'queued', provisioningError: message, nextAttemptAt },
    $push: { attempts: { $each: [entry], $slice: -MAX_ATTEMPT_HISTORY } },
  }).catch(ignoreStale);
  deps.observe?.attemptFinished?.('retrying', order.provider, entry.durationMs);
  log.warn({ error: message, nextAttemptAt }, 'attempt failed; will retry');
  return { kind: 'retry', error: message, nextAttemptAt };
}

function ignoreStale(error: unknown): void {
  if (!(error instanceof StaleAttemptError)) throw error;
}

/** Applies an update only while the order still carries this attempt's fencing counter. */
async function fencedWrite(deps: ProvisionDeps, order: OrderFields, fence: number, update: Record<string, unknown>): Promise<void> {
  const result = await deps.orders.updateOne({ _id: order._id, fence }, update);
  if (result.matchedCount === 0) throw new StaleAttemptError(`Order ${String(order._id)} was taken by a newer attempt`);
}

async function postpone(deps: ProvisionDeps, order: OrderFields, payload: ProvisionPayload, now: Date, packageName: string): Promise<ProvisionOutcome> {
  const lockWaitSince = payload.lockWaitSince ?? now;
  const waitedMs = now.getTime() - lockWaitSince.getTime();
  if (waitedMs >= deps.settings.lockMaxWaitMs) {
    const minutes = (waitedMs / 60_000).toFixed(1);
    return failUnfenced(deps, order, payload, now, `Lock acquisition failed: package ${packageName} was busy for ${minutes} min (limit ${deps.settings.lockMaxWaitMs / 60_000} min)`);
  }
  deps.observe?.lockBusy?.(packageName);
  // `queued`, never `provisioning`, while the lock is not held. Not fenced: the order is not taken.
  await deps.orders.updateOne(
    { _id: order._id, fence: fenceIs(order.fence), provisioningStatus: { $ne: 'active' } },
    { $set: { provisioningStatus: 'queued' } },
  );
  return { kind: 'postpone', lockWaitSince, packageName };
}

async function failUnfenced(deps: ProvisionDeps, order: OrderFields, payload: ProvisionPayload, now: Date, message: string): Promise<ProvisionOutcome> {
  const entry = attemptEntry(payload, now, deps, 'failed', message);
  await deps.orders.updateOne(
    { _id: order._id, fence: fenceIs(order.fence), provisioningStatus: { $ne: 'active' } },
    {
      $set: { provisioningStatus: 'failed', provisioningError: message, nextAttemptAt: null },
      // Bumped so a request's `queued` write, made against the fence it read, cannot hide this failure.
      $inc: { fence: 1 },
      $push: { attempts: { $each: [entry], $slice: -MAX_ATTEMPT_HISTORY } },
    },
  );
  deps.observe?.attemptFinished?.('failed', order.provider, entry.durationMs);
  deps.logger.warn({ orderId: payload.orderId, jobId: payload.jobId, attempt: payload.attempt, error: message }, 'provisioning failed');
  return { kind: 'fail', error: message };
}

async function recordUnfenced(deps: ProvisionDeps, order: OrderFields, entry: Attempt): Promise<void> {
  await deps.orders.updateOne({ _id: order._id }, { $push: { attempts: { $each: [entry], $slice: -MAX_ATTEMPT_HISTORY } } });
}

function attemptEntry(payload: ProvisionPayload, startedAt: Date, deps: ProvisionDeps, outcome: AttemptOutcome, error: string | null): Attempt {
  return {
    at: startedAt,
    reason: payload.reason,
    jobId: payload.jobId,
    attempt: payload.attempt,
    outcome,
    error,
    durationMs: deps.clock.now().getTime() - startedAt.getTime(),
  };
}
