import { once } from 'node:events';
import { Redis } from 'ioredis';
import { Worker } from 'bullmq';
import { createPackageLocks } from '../../src/locks/package-lock';
import { createLogger } from '../../src/observability/logger';
import { decryptCredentials } from '../../src/provisioning/credentials-cipher';
import { recoverOrders } from '../../src/provisioning/recover-orders';
import { requestProvision } from '../../src/provisioning/request-provision';
import { ProvisionInProgressError, QueueUnavailableError } from '../../src/domain/errors';
import { enqueueProvision, findLiveProvisionJob, type ProvisionQueue } from '../../src/queue/provision-queue';
import type { Config } from '../../src/config';
import { usePipeline } from '../support/pipeline';
import { waitFor } from '../support/wait-for';

const logger = createLogger({ level: 'silent' });
const p = usePipeline();

beforeEach(() => {
  p.simulator.reset();
  p.simulator.setFaults({ ipDelayMs: 100 });
});

function request(config: Config, queue: ProvisionQueue, orderId: string, reason: 'payment' | 'admin' | 'recovery' = 'admin') {
  return requestProvision({ orders: p.db.orderState, queue, logger }, orderId, reason);
}

const untilStatus = (orderId: string, status: string, timeoutMs?: number) => p.untilStatus(orderId, status, timeoutMs);

describe('provisioning pipeline', () => {
  it('provisions a paid SmartVPS order to active with an IP and encrypted credentials, buying once', async () => {
    const config = p.config();
    const queue = p.queue(config);
    await p.startWorker(config);
    const orderId = await p.createOrder();

    const answer = await request(config, queue, orderId, 'payment');
    expect(answer).toMatchObject({ outcome: 'queued', orderId });

    const order = await untilStatus(orderId, 'active');
    expect(order.status).toBe('active');
    expect(order.ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(order.providerReference).toEqual(expect.any(String));
    expect(order.attempts).toEqual([expect.objectContaining({ outcome: 'active', reason: 'payment', attempt: 1 })]);
    const credentials = decryptCredentials(order.credentialsEncrypted as string, config.credentialsKey, orderId);
    expect(credentials).toEqual({ username: expect.any(String), password: expect.any(String) });
    expect(JSON.stringify(order)).not.toContain(credentials.password);
    expect(p.simulator.stats().buys).toEqual({ [orderId]: 1 });
  });

  it('a second order on a busy package waits queued without using an attempt, then provisions when the lock frees', async () => {
    const config = p.config();
    const queue = p.queue(config);
    await p.startWorker(config);
    // "Order 1" holds package 103.101 (as another worker would, mid-provisioning).
    const holder = await createPackageLocks(p.redis, { prefix: config.queuePrefix, ttlMs: 2_000 }).tryAcquire('103.101');
    expect(holder).not.toBeNull();

    const orderId = await p.createOrder({ packageName: '103.101' });
    const { jobId } = (await request(config, queue, orderId)) as { jobId: string };
    await waitFor(async () => (await queue.getJob(jobId))?.data.lockWaitSince, { message: 'job postponed for the lock' });

    const waiting = await p.order(orderId);
    expect(waiting.provisioningStatus).toBe('queued');
    expect(waiting.attempts).toHaveLength(0);
    const job = await queue.getJob(jobId);
    expect(job?.attemptsMade).toBe(0);
    expect(['delayed', 'waiting', 'prioritized', 'active']).toContain(await job?.getState());
    expect(p.simulator.stats().buyRequests).toBe(0);

    await holder?.release();
    const order = await untilStatus(orderId, 'active');
    expect(order.attempts).toEqual([expect.objectContaining({ outcome: 'active', attempt: 1 })]);
    // Once the lock was had, the wait is over: a later retry would start LOCK_MAX_WAIT_MS afresh.
    await waitFor(async () => (await queue.getJob(jobId))?.finishedOn);
    expect((await queue.getJob(jobId))?.data.lockWaitSince).toBeUndefined();
    expect(p.simulator.stats().buys).toEqual({ [orderId]: 1 });
  });

  it('fails with "Lock acquisition failed" past LOCK_MAX_WAIT_MS, and a new request then provisions it', async () => {
    const config = p.config({ LOCK_MAX_WAIT_MS: '400' });
    const queue = p.queue(config);
    await p.startWorker(config);
    const holder = await createPackageLocks(p.redis, { prefix: config.queuePrefix, ttlMs: 2_000 }).tryAcquire('103.101');

    const orderId = await p.createOrder();
    await request(config, queue, orderId, 'payment');
    const failed = await untilStatus(orderId, 'failed');
    expect(failed.provisioningError).toMatch(/^Lock acquisition failed: package 103\.101 was busy/);
    expect(p.simulator.stats().buyRequests).toBe(0);
    expect(await findLiveProvisionJob(queue, orderId)).toBeNull();

    await holder?.release();
    await request(config, queue, orderId, 'admin');
    const active = await untilStatus(orderId, 'active');
    expect(active.attempts.map((a) => a.outcome)).toEqual(['failed', 'active']);
  });

  it('retries a failing provider with the staged backoff, fails after the last attempt, and a new request then provisions it', async () => {
    const config = p.config({ PROVISION_ATTEMPTS: '4', PROVISION_BACKOFF_MS: '150,300,450' });
    const queue = p.queue(config);
    await p.startWorker(config);
    p.simulator.setFaults({ failRate: 1 });
    const orderId = await p.createOrder({ provider: 'hostycare', packageName: null });

    await request(config, queue, orderId, 'payment');
    // Between attempts the order is queued with the time of the next one.
    const between = await waitFor(async () => {
      const order = await p.order(orderId);
      return order.provisioningStatus === 'queued' && order.nextAttemptAt ? order : null;
    });
    expect(between.provisioningError).toMatch(/HTTP 503/);

    const failed = await untilStatus(orderId, 'failed', 20_000);
    expect(failed.provisioningError).toMatch(/HTTP 503/);
    expect(failed.nextAttemptAt).toBeNull();
    expect(failed.attempts.map((a) => a.outcome)).toEqual(['retrying', 'retrying', 'retrying', 'failed']);
    expect(failed.attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    // Each gap is at least its stage (less 5% jitter).
    const starts = failed.attempts.map((a) => new Date(a.at).getTime());
    [150, 300, 450].forEach((stage, i) => expect(starts[i + 1]! - starts[i]!).toBeGreaterThanOrEqual(stage * 0.95));
    expect(p.simulator.stats().buys).toEqual({});

    p.simulator.setFaults({ failRate: 0 });
    await request(config, queue, orderId, 'admin');
    const active = await untilStatus(orderId, 'active');
    expect(active.provisioningError).toBeNull();
    expect(p.simulator.stats().buys).toEqual({ [orderId]: 1 });
  });

  it('fails at once on a permanent provider error', async () => {
    const config = p.config();
    const queue = p.queue(config);
    await p.startWorker(config);
    p.simulator.setFaults({ permanentFailRate: 1 });
    const orderId = await p.createOrder({ provider: 'hostycare', packageName: null });
    await request(config, queue, orderId, 'payment');
    const failed = await untilStatus(orderId, 'failed');
    expect(failed.attempts).toEqual([expect.objectContaining({ outcome: 'failed', attempt: 1 })]);
    expect(failed.provisioningError).toMatch(/422/);
  });

  it('collapses a duplicate request while a job is live into that job', async () => {
    const config = p.config();
    const queue = p.queue(config);
    const orderId = await p.createOrder({ provisioningStatus: 'failed' });
    const first = await request(config, queue, orderId);
    await expect(request(config, queue, orderId)).rejects.toBeInstanceOf(ProvisionInProgressError);
    await expect(request(config, queue, orderId)).rejects.toMatchObject({ jobId: (first as { jobId: string }).jobId, state: 'waiting' });
    expect(await queue.getJobCounts('prioritized', 'waiting', 'delayed', 'active')).toEqual({ prioritized: 1, waiting: 0, delayed: 0, active: 0 });
  });

  it('a Retry whose add meets a job finishing at that moment enqueues anew, instead of answering "queued" with nothing queued', async () => {
    const config = p.config();
    const queue = p.queue(config);
    const orderId = await p.createOrder({ provisioningStatus: 'failed' });
    await request(config, queue, orderId);
    // A worker holds that job, and has written its outcome to the order but not yet finished the job.
    const connection = p.redis.duplicate({ maxRetriesPerRequest: null });
    const worker = new Worker(queue.name, null, { connection, prefix: config.queuePrefix, autorun: false });
    try {
      const running = await worker.getNextJob('holder');
      expect(running?.data.orderId).toBe(orderId);
      await p.db.orders.updateOne({ _id: orderId }, { $set: { provisioningStatus: 'failed' } });
      // The job finishes after the Retry's add collapsed into it, before the Retry looks at it.
      const racing = new Proxy(queue, {
        get(target, key) {
          if (key !== 'add') return Reflect.get(target, key, target) as unknown;
          return async (...args: Parameters<ProvisionQueue['add']>) => {
            const added = await target.add(...args);
            if (added.id === running?.id) await running?.moveToCompleted('done', 'holder', false);
            return added;
          };
        },
      });
      const answer = await request(config, racing, orderId);
      expect(answer).toMatchObject({ outcome: 'queued' });
      const live = await findLiveProvisionJob(queue, orderId);
      expect(live?.id).toBe((answer as { jobId: string }).jobId);
      expect(live?.id).not.toBe(running?.id);
      expect((await p.order(orderId)).provisioningStatus).toBe('queued');
    } finally {
      await worker.close();
      await connection.quit();
    }
  });

  it('a request whose every add collapses into a job already gone answers 503 after three rounds, changing nothing', async () => {
    const config = p.config();
    const queue = p.queue(config);
    const orderId = await p.createOrder({ provisioningStatus: 'failed' });
    let adds = 0;
    // Each add names a job that no longer exists, as one finishing at that very moment would.
    const vanishing = new Proxy(queue, {
      get(target, key) {
        if (key !== 'add') return Reflect.get(target, key, target) as unknown;
        return () => Promise.resolve({ id: `gone-${(adds += 1)}` });
      },
    });
    await expect(request(config, vanishing, orderId)).rejects.toBeInstanceOf(QueueUnavailableError);
    expect(adds).toBe(3);
    expect((await p.order(orderId)).provisioningStatus).toBe('failed');
    expect(await findLiveProvisionJob(queue, orderId)).toBeNull();
  });

  it('resumes polling after the status check timed out, instead of buying again', async () => {
    const config = p.config({ PROVIDER_TIMEOUT_MS: '300' });
    const queue = p.queue(config);
    await p.startWorker(config);
    p.simulator.setFaults({ timeoutRate: 1, ops: ['status'], ipDelayMs: 50 });
    const orderId = await p.createOrder();

    await request(config, queue, orderId, 'payment');
    const retrying = await waitFor(async () => {
      const order = await p.order(orderId);
      return order.attempts.length > 0 ? order : null;
    });
    expect(retrying.attempts[0]).toMatchObject({ outcome: 'retrying' });
    expect(retrying.providerReference).toEqual(expect.any(String));
    p.simulator.setFaults({ timeoutRate: 0 });

    const active = await untilStatus(orderId, 'active');
    expect(active.providerReference).toBe(retrying.providerReference);
    expect(p.simulator.stats().buys).toEqual({ [orderId]: 1 });
  });

  it('finds a purchase whose buy answer never came during the grace, still under the lock, instead of buying again', async () => {
    const config = p.config({ PROVIDER_TIMEOUT_MS: '300' });
    const queue = p.queue(config);
    await p.startWorker(config);
    p.simulator.setFaults({ timeoutRate: 1, ops: ['buy'] });
    const orderId = await p.createOrder({ provider: 'hostycare', packageName: null });

    await request(config, queue, orderId, 'payment');
    const active = await untilStatus(orderId, 'active');
    // The same attempt: the grace's lookups found the purchase the unanswered buy made.
    expect(active.attempts.map((a) => a.outcome)).toEqual(['active']);
    expect(p.simulator.stats().buys).toEqual({ [orderId]: 1 });
  });

  it('recovers an order stuck in provisioning with no live job, by a request and by the sweeper', async () => {
    const config = p.config();
    const queue = p.queue(config);
    await p.startWorker(config);
    const byRequest = await p.createOrder({ provisioningStatus: 'provisioning', lastProvisionAttempt: new Date() });
    const bySweeper = await p.createOrder({ provisioningStatus: 'provisioning', lastProvisionAttempt: new Date(), packageName: '103.102' });

    await expect(request(config, queue, byRequest)).resolves.toMatchObject({ outcome: 'queued' });
    const summary = await recoverOrders({ orders: p.db.orderState, queue, logger, stuckAfterMs: config.worker.stuckAfterMs });
    expect(summary.reenqueued).toBeGreaterThanOrEqual(1);

    const [a, b] = await Promise.all([untilStatus(byRequest, 'active'), untilStatus(bySweeper, 'active')]);
    expect(a.attempts.at(-1)?.reason).toBe('admin');
    expect(b.attempts.at(-1)?.reason).toBe('recovery');
  });

  it('the sweeper marks an order failed with the reason once it has been stuck past STUCK_AFTER_MS', async () => {
    const config = p.config({ STUCK_AFTER_MS: '600000' });
    const queue = p.queue(config);
    const orderId = await p.createOrder({ provisioningStatus: 'queued' });
    const longAgo = new Date(Date.now() - 11 * 60_000);
    await p.db.orders.collection.updateOne({ _id: (await p.order(orderId))._id }, { $set: { updatedAt: longAgo } });

    const summary = await recoverOrders({ orders: p.db.orderState, queue, logger, stuckAfterMs: config.worker.stuckAfterMs });
    expect(summary).toMatchObject({ failed: 1, reenqueued: 0 });
    const failed = await p.order(orderId);
    expect(failed.provisioningStatus).toBe('failed');
    expect(failed.provisioningError).toMatch(/^Provisioning stalled: no job ran for this order for 11 min/);
    // And the admin's Retry works at once.
    await expect(request(config, queue, orderId)).resolves.toMatchObject({ outcome: 'queued' });
  });

  it('the sweeper leaves alone an order that is active with an IP, whatever its provisioning status says', async () => {
    const config = p.config({ STUCK_AFTER_MS: '1000' });
    const queue = p.queue(config);
    const orderId = await p.createOrder({ status: 'active', ipAddress: '10.9.9.9', provisioningStatus: 'queued' });
    await p.db.orders.collection.updateOne({ _id: (await p.order(orderId))._id }, { $set: { updatedAt: new Date(Date.now() - 60_000) } });
    const summary = await recoverOrders({ orders: p.db.orderState, queue, logger, stuckAfterMs: config.worker.stuckAfterMs });
    expect(summary).toEqual({ checked: 0, reenqueued: 0, failed: 0 });
    expect(await p.order(orderId)).toMatchObject({ status: 'active', provisioningStatus: 'queued', attempts: [] });
  });

  it('the sweeper looks at every unfinished order, not just a first batch', async () => {
    const config = p.config();
    const queue = p.queue(config);
    const docs = Array.from({ length: 230 }, () => ({ status: 'paid', provider: 'hostycare', plan: 's', os: 'debian-12', provisioningStatus: 'queued' }));
    const created = await p.db.orders.insertMany(docs);
    const ids = created.map((order) => String(order._id));
    // All but one still have their job; the one whose job was lost is the newest.
    await Promise.all(ids.slice(0, -1).map((id) => enqueueProvision(queue, id, 'payment')));

    const summary = await recoverOrders({ orders: p.db.orderState, queue, logger, stuckAfterMs: config.worker.stuckAfterMs });
    expect(summary).toEqual({ checked: 230, reenqueued: 1, failed: 0 });
    expect(await findLiveProvisionJob(queue, ids.at(-1) as string)).not.toBeNull();
  });

  it('the sweeper runs on its schedule in the worker and leaves orders with a live job alone', async () => {
    const config = p.config({ SWEEP_INTERVAL_MS: '200' });
    const queue = p.queue(config);
    const lost = await p.createOrder({ provisioningStatus: 'queued', provisionRequestedAt: new Date() });
    const live = await p.createOrder({ provisioningStatus: 'failed', packageName: '103.104' });
    const { jobId } = (await request(config, queue, live)) as { jobId: string };
    await queue.pause();
    await p.startWorker(config, { sweeper: true });

    await waitFor(async () => findLiveProvisionJob(queue, lost), { message: 'sweeper re-enqueued the lost order' });
    expect((await findLiveProvisionJob(queue, live))?.id).toBe(jobId);
    await queue.resume();
    await Promise.all([untilStatus(lost, 'active'), untilStatus(live, 'active')]);
  });

  it('a Hostycare order never touches the package lock', async () => {
    const config = p.config();
    const queue = p.queue(config);
    await p.startWorker(config);
    // Keyspace notifications: every write to a package-lock key is published.
    const subscriber = new Redis(p.env.redisUrl);
    await subscriber.config('SET', 'notify-keyspace-events', 'K$g');
    const commands: string[] = [];
    subscriber.on('pmessage', (_pattern: string, channel: string, event: string) => commands.push(`${event} ${channel}`));
    await subscriber.psubscribe('__keyspace@*__:*package-lock*');

    const hostycare = await p.createOrder({ provider: 'hostycare', packageName: null });
    await request(config, queue, hostycare, 'payment');
    await untilStatus(hostycare, 'active');
    const duringHostycare = commands.filter((c) => c.includes('package-lock')).length;

    // Control: a SmartVPS order does take it.
    const smartvps = await p.createOrder({ packageName: '103.109' });
    await request(config, queue, smartvps, 'payment');
    await untilStatus(smartvps, 'active');
    await waitFor(() => commands.some((c) => c.includes('package-lock:103.109')), { message: 'lock writes published' });
    subscriber.disconnect();
    expect(duringHostycare).toBe(0);
  });

  it('an order the worker fails at once stays failed, whatever the request writes after enqueuing', async () => {
    const config = p.config();
    const queue = p.queue(config);
    await p.startWorker(config);
    const orderIds = await Promise.all(Array.from({ length: 5 }, () => p.createOrder({ packageName: null })));
    await Promise.all(orderIds.map((id) => request(config, queue, id)));
    for (const id of orderIds) {
      const order = await untilStatus(id, 'failed');
      expect(order.provisioningError).toMatch(/no packageName/);
    }
    await waitFor(async () => (await queue.getJobCounts('failed')).failed === orderIds.length);
    const again = await Promise.all(orderIds.map((id) => p.order(id)));
    expect(again.map((o) => o.provisioningStatus)).toEqual(orderIds.map(() => 'failed'));
  });

  it('skips an order that is not provisionable when its job runs, recording why', async () => {
    const config = p.config();
    const queue = p.queue(config);
    const orderId = await p.createOrder({ provisioningStatus: 'failed' });
    await request(config, queue, orderId);
    await p.db.orders.updateOne({ _id: orderId }, { $set: { status: 'cancelled' } });
    await p.startWorker(config);
    const order = await waitFor(async () => {
      const current = await p.order(orderId);
      return current.attempts.length > 0 ? current : null;
    });
    expect(order.attempts[0]).toMatchObject({ outcome: 'skipped', error: expect.stringMatching(/cancelled/) });
    expect(p.simulator.stats().buyRequests).toBe(0);
  });
});

describe('worker processes', () => {
  it('a worker killed with SIGKILL mid-provisioning: the job is taken up again, the order ends active, one buy', async () => {
    const fast = { JOB_LOCK_MS: '1500', LOCK_TTL_MS: '1500', PROVIDER_TIMEOUT_MS: '1000' };
    const config = p.config(fast);
    const queue = p.queue(config);
    p.simulator.setFaults({ ipDelayMs: 2_500 });
    const victim = await p.spawnWorker(config, fast);
    const orderId = await p.createOrder();
    await request(config, queue, orderId, 'payment');

    // Mid-provisioning: the purchase is accepted and the worker polls for the IP.
    await waitFor(async () => (await p.order(orderId)).providerReference, { message: 'purchase accepted' });
    victim.kill('SIGKILL');
    await new Promise((resolve) => victim.once('exit', resolve));

    await p.startWorker(config);
    const active = await untilStatus(orderId, 'active', 20_000);
    expect(active.ipAddress).toEqual(expect.any(String));
    expect(p.simulator.stats().buys).toEqual({ [orderId]: 1 });
  }, 40_000);

  it('SIGTERM while waiting for the IP: the worker exits at once, the parked job stays live with its attempt unused, and another worker finishes it', async () => {
    const config = p.config();
    const queue = p.queue(config);
    p.simulator.setFaults({ ipDelayMs: 60_000 });
    const worker = await p.spawnWorker(config, { SHUTDOWN_TIMEOUT_MS: '3000' });
    const orderId = await p.createOrder();
    const { jobId } = (await request(config, queue, orderId, 'payment')) as { jobId: string };
    await waitFor(async () => (await p.order(orderId)).providerReference, { message: 'purchase accepted' });

    const stoppedAt = Date.now();
    worker.kill('SIGTERM');
    const [code] = (await once(worker, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(3_000);

    const job = await queue.getJob(jobId);
    expect(job?.attemptsMade).toBe(0);
    expect(['delayed', 'waiting']).toContain(await job?.getState());
    expect(job?.data.poll?.reference).toBe((await p.order(orderId)).providerReference);

    p.simulator.setFaults({ ipDelayMs: 50 });
    await p.startWorker(config);
    const active = await untilStatus(orderId, 'active');
    expect(active.attempts.map((a) => a.outcome)).toEqual(['active']);
    expect(p.simulator.stats().buys).toEqual({ [orderId]: 1 });
  }, 30_000);

  it('SIGTERM during a buy: the buy is let finish, the attempt is handed back unused, and the next worker resumes it', async () => {
    const config = p.config();
    const queue = p.queue(config);
    p.simulator.setFaults({ latency: { buy: [800, 800] }, ipDelayMs: 50 });
    const worker = await p.spawnWorker(config, { SHUTDOWN_TIMEOUT_MS: '3000' });
    const orderId = await p.createOrder();
    const { jobId } = (await request(config, queue, orderId, 'payment')) as { jobId: string };
    await waitFor(() => p.simulator.stats().buyRequests > 0, { message: 'the buy is under way' });
    worker.kill('SIGTERM');
    const [code] = (await once(worker, 'exit')) as [number | null];
    expect(code).toBe(0);

    const job = await queue.getJob(jobId);
    expect(job?.attemptsMade).toBe(0);
    const handedBack = await p.order(orderId);
    expect(handedBack.providerReference).toEqual(expect.any(String));
    await p.startWorker(config);
    const active = await untilStatus(orderId, 'active');
    expect(active.attempts.map((a) => a.outcome)).toEqual(expect.arrayContaining(['active']));
    expect(p.simulator.stats().buys).toEqual({ [orderId]: 1 });
  }, 30_000);

  it('two worker processes, many orders on one package: no concurrent buy, one buy each', async () => {
    const config = p.config();
    const queue = p.queue(config);
    p.simulator.setFaults({ latencyMs: 15, ipDelayMs: 30 });
    await Promise.all([p.spawnWorker(config), p.spawnWorker(config)]);
    const orderIds = await Promise.all(Array.from({ length: 16 }, () => p.createOrder({ packageName: '103.101' })));
    await Promise.all(orderIds.map((id) => request(config, queue, id, 'payment')));

    await waitFor(async () => (await p.db.orders.countDocuments({ _id: { $in: orderIds }, provisioningStatus: 'active' })) === orderIds.length, {
      timeoutMs: 30_000,
      message: 'all orders active',
    });
    const stats = p.simulator.stats();
    expect(stats.concurrentBuyViolations).toEqual({});
    expect(Object.keys(stats.buys).sort()).toEqual([...orderIds].sort());
    expect(Object.values(stats.buys).every((count) => count === 1)).toBe(true);
  }, 60_000);
});
