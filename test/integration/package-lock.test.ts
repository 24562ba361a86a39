import { Redis } from 'ioredis';
import { createPackageLocks } from '../../src/locks/package-lock';
import { useIntegrationEnv } from '../support/integration';
import { waitFor } from '../support/wait-for';

/** The package lock over a real Redis: what a holder can count on without asking, and when it must ask. */

const env = useIntegrationEnv({ mongo: false });
let redis: Redis;
beforeAll(() => {
  redis = new Redis(env.redisUrl);
  env.track({ close: () => redis.quit() });
});

const TTL_MS = 30_000;

it('a lock just granted is certainly held for the TTL less the time since it was asked for, with no round trip', async () => {
  const prefix = env.uniqueName('lock');
  const locks = createPackageLocks(redis, { prefix, ttlMs: TTL_MS });
  const before = Date.now();
  const lock = await locks.tryAcquire('103.101');
  if (!lock) throw new Error('expected the lock');
  const certain = lock.certainForMs();
  expect(certain).toBeLessThanOrEqual(TTL_MS);
  expect(certain).toBeGreaterThanOrEqual(TTL_MS - (Date.now() - before));
  // Never more than Redis still holds it for.
  expect(await redis.pttl(`mutex:${prefix}:package-lock:103.101`)).toBeGreaterThanOrEqual(lock.certainForMs());
  await lock.release();
  expect(lock.certainForMs()).toBe(0);
});

it("Redis's word is taken for a second: then nothing is certain until a renewal says so again", async () => {
  const locks = createPackageLocks(redis, { prefix: env.uniqueName('lock'), ttlMs: TTL_MS });
  // Before the request: the grant is counted from when it was asked for, not from when it came back.
  const askedAt = performance.now();
  const lock = await locks.tryAcquire('103.101');
  if (!lock) throw new Error('expected the lock');
  await waitFor(() => lock.certainForMs() === 0, { message: 'the grant is no longer taken at its word', timeoutMs: 5_000 });
  expect(performance.now() - askedAt).toBeGreaterThanOrEqual(1_000);
  expect(await lock.confirm()).toBeGreaterThan(TTL_MS - 1_000);
  expect(lock.certainForMs()).toBeGreaterThan(TTL_MS - 1_000);
  await lock.release();
});

it('a lock Redis no longer has: certain only until asked; the renewal finds it gone and says so from then on', async () => {
  const prefix = env.uniqueName('lock');
  const locks = createPackageLocks(redis, { prefix, ttlMs: TTL_MS });
  const lock = await locks.tryAcquire('103.101');
  if (!lock) throw new Error('expected the lock');
  await redis.del(`mutex:${prefix}:package-lock:103.101`);
  expect(await lock.confirm()).toBe(0);
  expect(lock.certainForMs()).toBe(0);
  await lock.release();
});

it('a lock resumed by its identifier counts from the renewal that took it up', async () => {
  const locks = createPackageLocks(redis, { prefix: env.uniqueName('lock'), ttlMs: TTL_MS });
  const first = await locks.tryAcquire('103.101');
  if (!first) throw new Error('expected the lock');
  expect(await first.keepFor(1_000)).toBe(true);
  // Handed over: this holder no longer counts on it.
  expect(first.certainForMs()).toBe(0);
  const resumed = await locks.resume('103.101', first.identifier);
  if (!resumed) throw new Error('expected to resume the lock');
  expect(resumed.certainForMs()).toBeGreaterThan(TTL_MS - 1_000);
  await resumed.release();
});

it('with replicas to reach, nothing is certain until a renewal reached them (none here: never)', async () => {
  const locks = createPackageLocks(redis, { prefix: env.uniqueName('lock'), ttlMs: TTL_MS, replicas: { count: 1, timeoutMs: 50 } });
  const lock = await locks.tryAcquire('103.101');
  if (!lock) throw new Error('expected the lock');
  expect(lock.certainForMs()).toBe(0);
  expect(await lock.confirm()).toBe(0);
  expect(lock.certainForMs()).toBe(0);
  await lock.release();
});
