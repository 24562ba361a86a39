import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { createPackageLocks } from '../../src/locks/package-lock';
import { createLogger } from '../../src/observability/logger';
import { requestProvision } from '../../src/provisioning/request-provision';
import type { ProvisionQueue } from '../../src/queue/provision-queue';
import { usePipeline } from '../support/pipeline';
import { waitFor } from '../support/wait-for';

/**
 * The edges where Retry or the package lock broke, each against the real worker, Redis, the database
 * and the simulator's faults: a provider that forgets a purchase, a buy that goes on after we stopped
 * waiting, a 429, package names that differ by a space, workers that die or hang.
 */

const logger = createLogger({ level: 'silent' });
const p = usePipeline();

beforeEach(() => {
  p.simulator.reset();
  p.simulator.setFaults({ ipDelayMs: 100 });
});

function request(queue: ProvisionQueue, orderId: string, reason: 'payment' | 'admin' = 'payment') {
  return requestProvision({ orders: p.db.orderState, queue, logger }, orderId, reason);
}

const untilStatus = (orderId: string, status: string, timeoutMs?: number) => p.untilStatus(orderId, status, timeoutMs);

async function killed(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
}

it('a stored reference the provider forgot (404): looked up, then bought anew under a new key, and the order goes active', async () => {
  const config = p.config();
  const queue = p.queue(config);
  p.simulator.setFaults({ ipDelayMs: 1_500 });
  await p.startWorker(config);
  const orderId = await p.createOrder({ provider: 'hostycare', packageName: null });
  await request(queue, orderId);
  const first = await waitFor(async () => (await p.order(orderId)).providerReference, { message: 'purchase accepted' });
  // The provider loses the purchase while we poll it: the next status call answers 404.
  expect(p.simulator.forget(orderId)).toBe(1);
  const active = await untilStatus(orderId, 'active');
  expect(active.purchaseGeneration).toBe(1);
  expect(active.providerReference).not.toBe(first);
  expect(active.attempts.map((a) => a.outcome)).toEqual(['active']);
  // The forgotten purchase and the new one.
  expect(p.simulator.stats().buys).toEqual({ [orderId]: 2 });
});

it('orders on "103.101" and "103.101 " share one package lock: never two buys at once', async () => {
  const config = p.config();
  const queue = p.queue(config);
  p.simulator.setFaults({ latency: { buy: [300, 300] }, ipDelayMs: 20 });
  await p.startWorker(config);
  const ids = await Promise.all(['103.101', '103.101 ', ' 103.101', '103.101 '].map((packageName) => p.createOrder({ packageName })));
  await Promise.all(ids.map((id) => request(queue, id)));
  await Promise.all(ids.map((id) => untilStatus(id, 'active')));
  expect(p.simulator.stats().concurrentBuyViolations).toEqual({});
});

it('a buy that timed out keeps its package locked while the provider may still be processing it', async () => {
  // Buys take 600 ms at the provider; we give up waiting after 250 ms, but the provider goes on.
  const config = p.config({ PROVIDER_TIMEOUT_MS: '250', BUY_GRACE_MS: '1500', LOCK_TTL_MS: '2000' });
  const queue = p.queue(config);
  p.simulator.setFaults({ latency: { buy: [600, 600] }, ipDelayMs: 20 });
  await p.startWorker(config);
  const ids = await Promise.all([p.createOrder(), p.createOrder(), p.createOrder()]);
  await Promise.all(ids.map((id) => request(queue, id)));
  await Promise.all(ids.map((id) => untilStatus(id, 'active')));
  const stats = p.simulator.stats();
  expect(stats.concurrentBuyViolations).toEqual({});
  expect(Object.values(stats.buys)).toEqual([1, 1, 1]);
}, 30_000);

it('a 429 uses no attempt and waits as Retry-After says; the order goes active once the provider lets us', async () => {
  const config = p.config({ PROVISION_ATTEMPTS: '1' });
  const queue = p.queue(config);
  p.simulator.setFaults({ rateLimitRate: 1, retryAfterMs: 1_000 });
  await p.startWorker(config);
  const orderId = await p.createOrder({ provider: 'hostycare', packageName: null });
  const { jobId } = (await request(queue, orderId)) as { jobId: string };
  const waiting = await waitFor(async () => {
    const order = await p.order(orderId);
    return order.provisioningError?.includes('429') ? order : null;
  }, { message: 'order shows the rate limit' });
  expect(waiting.provisioningStatus).toBe('queued');
  expect(waiting.nextAttemptAt).not.toBeNull();
  p.simulator.setFaults({ rateLimitRate: 0 });
  const active = await untilStatus(orderId, 'active');
  // One attempt allowed in all, and it was not used up by the 429s: the job completes with it.
  const finished = await waitFor(async () => {
    const job = await queue.getJob(jobId);
    return job?.finishedOn ? job : null;
  }, { message: 'job completed' });
  expect(await finished.getState()).toBe('completed');
  expect(finished.attemptsMade).toBe(1);
  expect(active.attempts.map((a) => a.outcome)).toEqual(['active']);
});

it('a 429 that lasts past RATE_LIMIT_MAX_WAIT_MS fails the order with the provider message', async () => {
  const config = p.config({ RATE_LIMIT_MAX_WAIT_MS: '1500' });
  const queue = p.queue(config);
  p.simulator.setFaults({ rateLimitRate: 1, retryAfterMs: 1_000 });
  await p.startWorker(config);
  const orderId = await p.createOrder({ provider: 'hostycare', packageName: null });
  await request(queue, orderId);
  const failed = await untilStatus(orderId, 'failed');
  expect(failed.provisioningError).toMatch(/HTTP 429.*rate limited for \d+ s, limit 2 s/);
  expect(p.simulator.stats().purchases).toBe(0);
});

it('a permanent 4xx on the buy starts a new purchase generation, so the next Retry buys under a new key', async () => {
  const config = p.config();
  const queue = p.queue(config);
  p.simulator.setFaults({ permanentFailRate: 1 });
  await p.startWorker(config);
  const orderId = await p.createOrder({ provider: 'hostycare', packageName: null });
  await request(queue, orderId);
  expect(await untilStatus(orderId, 'failed')).toMatchObject({ purchaseGeneration: 1 });
  p.simulator.setFaults({ permanentFailRate: 0 });
  await request(queue, orderId, 'admin');
  expect(await untilStatus(orderId, 'active')).toMatchObject({ purchaseGeneration: 1 });
});

describe('workers that die or hang', () => {
  it('a worker killed holding the lock after a long lock wait: the next run waits afresh instead of failing early', async () => {
    // A buy's answer never comes (the provider still makes it), so the worker dies mid-attempt holding the lock.
    const fast = { PROVIDER_TIMEOUT_MS: '1000', BUY_GRACE_MS: '200', LOCK_TTL_MS: '1500', JOB_LOCK_MS: '1500', LOCK_MAX_WAIT_MS: '2500', LOCK_RETRY_DELAY_MS: '100' };
    const config = p.config(fast);
    const queue = p.queue(config);
    const holder = await createPackageLocks(p.redis, { prefix: config.queuePrefix, ttlMs: 5_000 }).tryAcquire('103.101');
    const victim = await p.spawnWorker(config, fast);
    const orderId = await p.createOrder();
    const { jobId } = (await request(queue, orderId)) as { jobId: string };
    await waitFor(async () => (await queue.getJob(jobId))?.data.lockWaitSince, { message: 'waiting for the lock' });
    await waitFor(async () => (await queue.getJob(jobId))?.data.lockWaitSince && Date.now() - Date.parse((await queue.getJob(jobId))!.data.lockWaitSince!) > 1_500, { message: 'a long wait' });
    p.simulator.setFaults({ timeoutRate: 1, ops: ['buy'] });
    await holder?.release();
    await waitFor(() => p.simulator.stats().buyRequests > 0, { message: 'the buy is on its way' });
    await killed(victim);

    p.simulator.setFaults({ timeoutRate: 0, ipDelayMs: 20 });
    await p.startWorker(config);
    const active = await untilStatus(orderId, 'active', 20_000);
    expect(active.provisioningError).toBeNull();
    expect(p.simulator.stats().buys).toEqual({ [orderId]: 1 });
  }, 40_000);

  it('SIGTERM while a provider call hangs: the worker exits within SHUTDOWN_TIMEOUT_MS', async () => {
    const slow = { PROVIDER_TIMEOUT_MS: '8000', BUY_GRACE_MS: '100', LOCK_TTL_MS: '9000', SHUTDOWN_TIMEOUT_MS: '1500' };
    const config = p.config(slow);
    const queue = p.queue(config);
    p.simulator.setFaults({ timeoutRate: 1, ops: ['buy'] });
    const worker = await p.spawnWorker(config, slow);
    const orderId = await p.createOrder();
    await request(queue, orderId);
    await waitFor(() => p.simulator.stats().buyRequests > 0, { message: 'the buy hangs' });
    const stoppedAt = Date.now();
    worker.kill('SIGTERM');
    await once(worker, 'exit');
    expect(Date.now() - stoppedAt).toBeLessThan(1_500 + 1_000);
  }, 30_000);

  it(`an order whose attempt keeps killing its worker fails with the reason instead of being retried for ever`, async () => {
    // The lookup never answers; each worker running the attempt is killed while it waits.
    const dying = { PROVIDER_TIMEOUT_MS: '8000', JOB_LOCK_MS: '1000', BUY_GRACE_MS: '100', LOCK_TTL_MS: '9000' };
    const config = p.config(dying);
    const queue = p.queue(config);
    p.simulator.setFaults({ timeoutRate: 1, ops: ['find'] });
    const orderId = await p.createOrder({ provider: 'hostycare', packageName: null });
    await request(queue, orderId);
    for (let death = 1; death <= 3; death += 1) {
      const finds = p.simulator.stats().findRequests;
      const worker = await p.spawnWorker(config, dying);
      await waitFor(() => p.simulator.stats().findRequests > finds, { timeoutMs: 15_000, message: `run ${death} is under way` });
      await killed(worker);
    }
    p.simulator.setFaults({ timeoutRate: 0 });
    await p.startWorker(config);
    const failed = await untilStatus(orderId, 'failed', 20_000);
    expect(failed.provisioningError).toMatch(/died with its worker 3 times in a row/);
    expect(failed.attempts.filter((a) => a.outcome === 'died').length).toBeGreaterThan(0);
  }, 60_000);
});
