import type { Redis } from 'ioredis';
import { Mutex } from 'redis-semaphore';

/** A SmartVPS package lock this process holds. */
export interface HeldLock {
  readonly packageName: string;
  /** Aborted when the lock is lost (its TTL ran out before a renewal, or Redis lost it). */
  readonly lostSignal: AbortSignal;
  /** Asks Redis whether the lock is still ours (false if Redis does not answer in time). */
  confirm(): Promise<boolean>;
  /** Releases the lock (only if still ours) and wakes the longest waiter. */
  release(): Promise<void>;
}

export interface PackageLocks {
  /**
   * One try: the held lock, or null when another holder has it. A `waiterId` that misses is queued
   * (first come, first woken) and handed to `wake` when the lock is released.
   */
  tryAcquire(packageName: string, waiterId?: string): Promise<HeldLock | null>;
}

export interface PackageLockOptions {
  prefix: string;
  ttlMs: number;
  /** Called with the longest-waiting waiter when a lock is released; true if it was woken. */
  wake?: (waiterId: string) => Promise<boolean>;
}

/** How many stale waiters (gone jobs) a release skips before giving up on waking one. */
const MAX_WAKE_TRIES = 5;

/**
 * Per-package mutex in Redis (redis-semaphore): a random token per holder, a TTL renewed while held
 * (every third of the TTL), release only by the token's owner, and a signal when the lock is lost.
 * Waiters are kept in a sorted set so a release wakes the next one at once instead of leaving the
 * package idle until a postponed job's delay runs out.
 */
export function createPackageLocks(redis: Redis, options: PackageLockOptions): PackageLocks {
  const lockKey = (packageName: string) => `${options.prefix}:package-lock:${packageName}`;
  const waitersKey = (packageName: string) => `${options.prefix}:package-waiters:${packageName}`;

  async function wakeNext(packageName: string): Promise<void> {
    if (!options.wake) return;
    for (let tries = 0; tries < MAX_WAKE_TRIES; tries += 1) {
      const [waiterId] = await redis.zpopmin(waitersKey(packageName));
      if (!waiterId) return;
      if (await options.wake(waiterId)) return;
    }
  }

  return {
    async tryAcquire(packageName, waiterId) {
      const lost = new AbortController();
      const mutex = new Mutex(redis, lockKey(packageName), {
        lockTimeout: options.ttlMs,
        refreshInterval: Math.max(50, Math.floor(options.ttlMs / 3)),
        acquireAttemptsLimit: 1,
        onLockLost: (error) => lost.abort(error),
      });
      if (!(await mutex.tryAcquire())) {
        if (waiterId) await redis.zadd(waitersKey(packageName), 'NX', Date.now(), waiterId);
        return null;
      }
      if (waiterId) {
        // Held from here on: a failure before the caller gets the handle must not leave it renewed forever.
        await redis.zrem(waitersKey(packageName), waiterId).catch(async (error: unknown) => {
          mutex.stopRefresh();
          await mutex.release().catch(() => undefined);
          throw error;
        });
      }
      return {
        packageName,
        lostSignal: lost.signal,
        confirm: async () => {
          if (lost.signal.aborted) return false;
          const owner = await Promise.race([
            // redis-semaphore stores a Mutex under `mutex:<key>`.
            redis.get(`mutex:${lockKey(packageName)}`).catch(() => null),
            new Promise<null>((resolve) => setTimeout(resolve, Math.max(100, Math.floor(options.ttlMs / 3)), null).unref()),
          ]);
          return owner === mutex.identifier;
        },
        release: async () => {
          mutex.stopRefresh();
          // Only the owner's token releases (checked in Redis); a lost lock has nothing to release.
          if (!lost.signal.aborted) await mutex.release();
          await wakeNext(packageName);
        },
      };
    },
  };
}
