import type { Redis } from 'ioredis';
import { Mutex } from 'redis-semaphore';

/** A SmartVPS package lock this process holds. */
export interface HeldLock {
  readonly packageName: string;
  /** The holder's random token: a later step (in any process) resumes the lock by it. */
  readonly identifier: string;
  /** Aborted when the lock is lost (its TTL ran out before a renewal, or Redis lost it). */
  readonly lostSignal: AbortSignal;
  /**
   * Renews the lock in Redis now and answers how long it is certainly ours from here (ms): at least
   * the TTL less the round trip. 0 when it is not ours, when Redis does not answer in time, or when
   * the renewal has not reached the required replicas (a failover could lose it).
   */
  confirm(): Promise<number>;
  /**
   * How long the lock is certainly ours by this process's clock, counted from when Redis last granted
   * or renewed it (ms, no round trip): the TTL less the time since that request was sent. 0 once lost,
   * released or handed over, more than TAKE_AT_ITS_WORD_MS after Redis said so, and, with replicas,
   * until a renewal has reached them.
   */
  certainForMs(): number;
  /**
   * Hands the lock over to a later step: stops renewing it here and keeps it in Redis for `ms` plus
   * the TTL, so the step that resumes it (by `identifier`) finds it still ours. False if already lost.
   */
  keepFor(ms: number): Promise<boolean>;
  /** Releases the lock (only if still ours) and wakes the longest waiter. */
  release(): Promise<void>;
}

/** Who asks for a lock: missing it queues them (first come, first woken); `queued` if an earlier try did (its entry may be left to clear). */
export interface LockWaiter {
  id: string;
  queued: boolean;
}

export interface PackageLocks {
  /**
   * One try: the held lock, or null when another holder has it. A `waiter` that misses is queued and
   * handed to `wake` when the lock is released.
   */
  tryAcquire(packageName: string, waiter?: LockWaiter): Promise<HeldLock | null>;
  /**
   * Takes up a lock an earlier step kept (`keepFor`): renewed if still ours, taken again if it expired
   * and nobody holds it, null if another holder has it now.
   */
  resume(packageName: string, identifier: string): Promise<HeldLock | null>;
}

export interface PackageLockOptions {
  prefix: string;
  ttlMs: number;
  /** Called with the longest-waiting waiter when a lock is released; true if it was woken. */
  wake?: (waiterId: string) => Promise<boolean>;
  /**
   * With Redis replicas (Sentinel): a renewal counts only once this many replicas acknowledged it
   * (`WAIT`), so a failover right after it cannot lose the lock to a promoted replica.
   */
  replicas?: { count: number; timeoutMs: number };
}

/**
 * How long Redis's grant or renewal of a lock is taken at its word without asking again: past it, a
 * holder asks (a Redis that lost the key since, say in a restart, is found out then).
 */
const TAKE_AT_ITS_WORD_MS = 1_000;

/** How many stale waiters (gone jobs) a release skips before giving up on waking one. */
const MAX_WAKE_TRIES = 5;

/** Renews the key's TTL only if it still holds this holder's token. */
const EXPIRE_IF_OURS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

/**
 * Per-package mutex in Redis (redis-semaphore): a random token per holder, a TTL renewed while held
 * (every third of the TTL), release only by the token's owner, and a signal when the lock is lost.
 * Waiters are kept in a sorted set so a release wakes the next one at once instead of leaving the
 * package idle until a postponed job's delay runs out.
 */
export function createPackageLocks(redis: Redis, options: PackageLockOptions): PackageLocks {
  const lockKey = (packageName: string) => `${options.prefix}:package-lock:${packageName}`;
  // redis-semaphore stores a Mutex under `mutex:<key>`.
  const storedKey = (packageName: string) => `mutex:${lockKey(packageName)}`;
  const waitersKey = (packageName: string) => `${options.prefix}:package-waiters:${packageName}`;
  const answerWithinMs = Math.max(100, Math.floor(options.ttlMs / 3));

  async function wakeNext(packageName: string): Promise<void> {
    if (!options.wake) return;
    for (let tries = 0; tries < MAX_WAKE_TRIES; tries += 1) {
      const [waiterId] = await redis.zpopmin(waitersKey(packageName));
      if (!waiterId) return;
      if (await options.wake(waiterId)) return;
    }
  }

  function mutexFor(packageName: string, identifier?: string, acquiredExternally = false): { mutex: Mutex; lost: AbortController } {
    const lost = new AbortController();
    const mutex = new Mutex(redis, lockKey(packageName), {
      lockTimeout: options.ttlMs,
      refreshInterval: Math.max(50, Math.floor(options.ttlMs / 3)),
      acquireAttemptsLimit: 1,
      // One try means one: no pause after a miss (the caller decides when to try again).
      retryInterval: 0,
      onLockLost: (error) => lost.abort(error),
      ...(identifier ? (acquiredExternally ? { identifier, acquiredExternally: true as const } : { identifier }) : {}),
    });
    return { mutex, lost };
  }

  /** Renews the lock to `ttlMs` if ours; the answer is how long it stays ours, measured from before the call. */
  async function renew(packageName: string, identifier: string, ttlMs: number): Promise<number> {
    const sentAt = performance.now();
    const renewed = await withDeadline(redis.eval(EXPIRE_IF_OURS, 1, storedKey(packageName), identifier, String(ttlMs)), answerWithinMs);
    if (renewed !== 1) return 0;
    if (options.replicas) {
      const acknowledged = await withDeadline(redis.call('WAIT', options.replicas.count, options.replicas.timeoutMs), answerWithinMs + options.replicas.timeoutMs);
      if (typeof acknowledged !== 'number' || acknowledged < options.replicas.count) return 0;
    }
    return Math.max(0, sentAt + ttlMs - performance.now());
  }

  /**
   * `grantedAt`: when the request that granted the lock was sent. With replicas a grant is not counted
   * on: only a renewal they acknowledged is.
   */
  function held(packageName: string, mutex: Mutex, lost: AbortController, grantedAt: number): HeldLock {
    // On the monotonic clock: a wall clock set back must not stretch the lock.
    let saidAt = grantedAt;
    let certainUntil = options.replicas ? 0 : grantedAt + options.ttlMs;
    return {
      packageName,
      identifier: mutex.identifier,
      lostSignal: lost.signal,
      confirm: async () => {
        if (lost.signal.aborted) return 0;
        const validMs = await renew(packageName, mutex.identifier, options.ttlMs);
        saidAt = performance.now();
        certainUntil = validMs > 0 ? saidAt + validMs : 0;
        return validMs;
      },
      certainForMs: () => {
        const now = performance.now();
        return lost.signal.aborted || now - saidAt > TAKE_AT_ITS_WORD_MS ? 0 : Math.max(0, certainUntil - now);
      },
      keepFor: async (ms) => {
        // Handed over: the step that resumes it counts from its own renewal.
        certainUntil = 0;
        mutex.stopRefresh();
        if (lost.signal.aborted) return false;
        return (await renew(packageName, mutex.identifier, ms + options.ttlMs)) > 0;
      },
      release: async () => {
        certainUntil = 0;
        mutex.stopRefresh();
        // Only the owner's token releases (checked in Redis); a lost lock has nothing to release.
        if (!lost.signal.aborted) await mutex.release();
        await wakeNext(packageName);
      },
    };
  }

  return {
    async tryAcquire(packageName, waiter) {
      const { mutex, lost } = mutexFor(packageName);
      let queued = waiter?.queued ?? false;
      let askedAt = performance.now();
      if (!(await mutex.tryAcquire())) {
        if (!waiter) return null;
        await redis.zadd(waitersKey(packageName), 'NX', Date.now(), waiter.id);
        queued = true;
        // Released between the miss and the ZADD, the lock woke nobody (we were not queued yet): look again.
        askedAt = performance.now();
        if (!(await mutex.tryAcquire())) return null;
      }
      if (waiter && queued) {
        // Held from here on: a failure before the caller gets the handle must not leave it renewed forever.
        await redis.zrem(waitersKey(packageName), waiter.id).catch(async (error: unknown) => {
          mutex.stopRefresh();
          await mutex.release().catch(() => undefined);
          throw error;
        });
      }
      return held(packageName, mutex, lost, askedAt);
    },

    async resume(packageName, identifier) {
      // Still ours: renewed (and renewed on from here). Expired: taken again under the same token if free.
      for (const acquiredExternally of [true, false]) {
        const { mutex, lost } = mutexFor(packageName, identifier, acquiredExternally);
        const askedAt = performance.now();
        if (await mutex.tryAcquire()) return held(packageName, mutex, lost, askedAt);
      }
      return null;
    },
  };
}

/** The value, or undefined when it takes longer than `ms` (a Redis we are cut off from must not hang a decision). */
async function withDeadline<T>(pending: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, ms, undefined);
  });
  try {
    return await Promise.race([pending.catch(() => undefined), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
