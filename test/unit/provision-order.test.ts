import { decryptCredentials } from '../../src/provisioning/credentials-cipher';
import { MAX_ATTEMPT_DEATHS, provisionOrder, type PollStep, type ProvisionOutcome, type ProvisionPayload } from '../../src/provisioning/provision-order';
import { pollDelayMs } from '../../src/domain/poll-schedule';
import { fakeDeps, providerError } from '../support/fake-provisioning';
import { createMemoryOrderState, type MemoryOrder } from '../support/memory-order-state';

/**
 * provisionOrder without Redis or MongoDB: the in-memory order state (held to the same contract as the
 * MongoDB one), a fake provider, lock, pauses and clock. Every outcome and every failure class.
 */

const ORDER_ID = '665f1c2e9b1e8a0012345678';

function setup(order: Partial<MemoryOrder> = {}) {
  const state = createMemoryOrderState();
  const world = fakeDeps(state);
  state.insert({ id: ORDER_ID, status: 'paid', provider: 'smartvps', packageName: '103.101', ...order });
  const payload = (extra: Partial<ProvisionPayload> = {}): ProvisionPayload => ({
    orderId: ORDER_ID,
    reason: 'payment',
    jobId: 'job-1',
    attempt: 1,
    maxAttempts: 4,
    ...extra,
  });
  const stored = () => state.orders.get(ORDER_ID) as MemoryOrder;
  const smartvps = world.providers.smartvps;
  /** Runs steps the way the worker does (parks feed the next poll) until one does not park. */
  async function runToEnd(first: ProvisionPayload = payload()): Promise<ProvisionOutcome> {
    let outcome = await provisionOrder(first, world.deps);
    for (let steps = 0; outcome.kind === 'park' && steps < 1_000; steps += 1) {
      world.clock.advance(outcome.delayMs);
      outcome = await provisionOrder({ ...first, poll: outcome.poll }, world.deps);
    }
    return outcome;
  }
  return { state, world, payload, stored, smartvps, runToEnd, locks: world.locks };
}

describe('provisionOrder: the first step', () => {
  it('buys once under the package lock, stores the reference, and parks with the lock kept for the first poll', async () => {
    const t = setup();
    const outcome = await provisionOrder(t.payload(), t.world.deps);
    expect(outcome).toMatchObject({ kind: 'park', delayMs: pollDelayMs(0, 5_000), poll: { fence: 1, pollsMade: 0, provider: 'smartvps', packageName: '103.101' } });
    expect(t.smartvps.calls.map((c) => c.op)).toEqual(['find', 'buy']);
    expect(t.smartvps.calls[1]?.arg).toBe(`order-${ORDER_ID}-0`);
    expect(t.stored()).toMatchObject({ provisioningStatus: 'provisioning', fence: 1, providerReference: expect.any(String) });
    expect(t.locks.events).toEqual(['acquire 103.101', `keep 103.101 ${pollDelayMs(0, 5_000)}`]);
    expect(t.locks.holders.has('103.101')).toBe(true);
    // The lock wait was cleared as soon as the lock was held, before anything else could die.
    expect(t.world.jobEvents).toEqual(['lockHeld']);
  });

  it('polls until the IP, then writes active with encrypted credentials and releases the lock', async () => {
    const t = setup();
    t.smartvps.readyAfter = 3;
    const outcome = await t.runToEnd();
    expect(outcome).toEqual({ kind: 'done', outcome: 'active', ipAddress: '10.0.0.7' });
    const order = t.stored();
    expect(order).toMatchObject({ status: 'active', provisioningStatus: 'active', ipAddress: '10.0.0.7', provisioningError: null });
    expect(decryptCredentials(order.credentialsEncrypted as string, t.world.deps.credentialsKey, ORDER_ID)).toEqual({ username: 'root', password: 'fake-password' });
    expect(order.attempts).toEqual([expect.objectContaining({ outcome: 'active', attempt: 1, reason: 'payment' })]);
    expect(t.smartvps.calls.filter((c) => c.op === 'status')).toHaveLength(3);
    expect(t.locks.events.at(-1)).toBe('release 103.101');
    expect(t.locks.holders.size).toBe(0);
  });

  it('paces status calls from the acceptance, whatever each call takes, and never less than a second apart', async () => {
    const t = setup();
    t.smartvps.readyAfter = 4;
    const getPurchase = t.smartvps.getPurchase.bind(t.smartvps);
    const calls: number[] = [];
    let latencyMs = 300;
    t.smartvps.getPurchase = async (reference) => {
      calls.push(t.world.clock.now().getTime());
      t.world.clock.advance(latencyMs);
      return getPurchase(reference);
    };
    const first = await provisionOrder(t.payload(), t.world.deps);
    if (first.kind !== 'park') throw new Error('expected a park');
    const acceptedAt = first.poll.acceptedAt.getTime();
    let outcome: Awaited<ReturnType<typeof provisionOrder>> = first;
    while (outcome.kind === 'park') {
      t.world.clock.advance(outcome.delayMs);
      // The third call is slow: the next one still keeps its second's distance.
      latencyMs = calls.length === 2 ? 1_400 : 300;
      outcome = await provisionOrder({ ...t.payload(), poll: outcome.poll }, t.world.deps);
    }
    expect(outcome).toMatchObject({ kind: 'done', outcome: 'active' });
    expect(calls.map((at) => at - acceptedAt)).toEqual([1_000, 2_000, 3_000, 4_400]);
  });

  it('a Hostycare order takes no lock', async () => {
    const t = setup({ provider: 'hostycare', packageName: null });
    expect(await t.runToEnd()).toMatchObject({ kind: 'done', outcome: 'active' });
    expect(t.locks.events).toEqual([]);
  });

  it('finds a purchase made earlier for the order instead of buying', async () => {
    const t = setup();
    await t.smartvps.buy({ orderReference: ORDER_ID, idempotencyKey: 'earlier', plan: '4gb', os: 'ubuntu-22.04' });
    t.smartvps.calls.length = 0;
    expect(await t.runToEnd()).toMatchObject({ kind: 'done', outcome: 'active' });
    expect(t.smartvps.calls.filter((c) => c.op === 'buy')).toEqual([]);
    expect(t.smartvps.buys()).toHaveLength(1);
  });

  it('resumes a stored reference instead of buying', async () => {
    const t = setup();
    const { reference } = await t.smartvps.buy({ orderReference: ORDER_ID, idempotencyKey: 'k', plan: '4gb', os: 'ubuntu-22.04' });
    t.stored().providerReference = reference;
    t.smartvps.calls.length = 0;
    expect(await t.runToEnd()).toMatchObject({ kind: 'done', outcome: 'active' });
    expect(t.smartvps.calls.map((c) => c.op)).not.toContain('buy');
    expect(t.smartvps.calls.map((c) => c.op)).not.toContain('find');
  });

  it('normalised package names: the lock and the buy name the same package', async () => {
    const t = setup({ packageName: ' 103.101 ' });
    await provisionOrder(t.payload(), t.world.deps);
    expect(t.locks.events[0]).toBe('acquire 103.101');
  });

  it('skips, recording why, an order that is not provisionable, already active, or gone', async () => {
    const cancelled = setup({ status: 'cancelled' });
    expect(await provisionOrder(cancelled.payload(), cancelled.world.deps)).toMatchObject({ kind: 'done', outcome: 'skipped', why: expect.stringMatching(/cancelled/) });
    expect(cancelled.stored().attempts).toEqual([expect.objectContaining({ outcome: 'skipped' })]);

    const active = setup({ status: 'active', provisioningStatus: 'active', ipAddress: '10.1.1.1' });
    expect(await provisionOrder(active.payload(), active.world.deps)).toMatchObject({ kind: 'done', outcome: 'skipped', why: 'already_active' });

    const gone = setup();
    gone.state.orders.clear();
    expect(await provisionOrder(gone.payload(), gone.world.deps)).toMatchObject({ kind: 'done', outcome: 'skipped', why: 'not_found' });
    expect(gone.smartvps.calls).toEqual([]);
  });

  it('fails at once a SmartVPS order with no package name', async () => {
    const t = setup({ packageName: '   ' });
    expect(await provisionOrder(t.payload(), t.world.deps)).toMatchObject({ kind: 'fail', error: expect.stringMatching(/no packageName/) });
    expect(t.stored()).toMatchObject({ provisioningStatus: 'failed', fence: 1 });
  });

  it('a busy lock postpones without an attempt and shows queued; past LOCK_MAX_WAIT_MS it fails', async () => {
    const t = setup({ provisioningStatus: 'failed' });
    t.locks.holders.set('103.101', 'another-holder');
    const first = await provisionOrder(t.payload(), t.world.deps);
    expect(first).toEqual({ kind: 'postpone', delayMs: 5_000, lockWaitSince: t.world.clock.now() });
    expect(t.stored()).toMatchObject({ provisioningStatus: 'queued', fence: 0, attempts: [] });
    expect(t.smartvps.calls).toEqual([]);

    const since = new Date(t.world.clock.now().getTime() - 900_000);
    const last = await provisionOrder(t.payload({ lockWaitSince: since }), t.world.deps);
    expect(last).toMatchObject({ kind: 'fail', error: expect.stringMatching(/^Lock acquisition failed: package 103\.101 was busy for 15\.0 min/) });
    expect(t.stored().provisioningStatus).toBe('failed');
  });

  it('leaves the order to a newer attempt that took it first, releasing the lock', async () => {
    const t = setup();
    const seen = await t.state.load(ORDER_ID);
    // Another attempt takes the order between this run's read and its take.
    const originalLoad = t.state.load.bind(t.state);
    t.state.load = async (id) => {
      const snapshot = await originalLoad(id);
      await t.state.take(seen!, new Date());
      return snapshot;
    };
    expect(await provisionOrder(t.payload(), t.world.deps)).toEqual({ kind: 'abort', why: 'superseded' });
    expect(t.locks.holders.size).toBe(0);
    expect(t.smartvps.calls).toEqual([]);
  });
});

describe('provisionOrder: failures', () => {
  it('a transient error schedules a retry after the backoff, computed once and written as nextAttemptAt', async () => {
    const t = setup();
    t.smartvps.script('find', providerError('find', 'transient', 503));
    const outcome = await provisionOrder(t.payload({ attempt: 2 }), t.world.deps);
    expect(outcome).toEqual({ kind: 'retry', error: expect.stringMatching(/503/), delayMs: 180_000 });
    const order = t.stored();
    expect(order.provisioningStatus).toBe('queued');
    expect(order.nextAttemptAt?.getTime()).toBe(t.world.clock.now().getTime() + 180_000);
    expect(order.attempts).toEqual([expect.objectContaining({ outcome: 'retrying', attempt: 2 })]);
    expect(t.locks.holders.size).toBe(0);
  });

  it('the last attempt fails for good with the last error', async () => {
    const t = setup();
    t.smartvps.script('find', providerError('find', 'timeout'));
    expect(await provisionOrder(t.payload({ attempt: 4, maxAttempts: 4 }), t.world.deps)).toMatchObject({ kind: 'fail', error: expect.stringMatching(/timeout/) });
    expect(t.stored()).toMatchObject({ provisioningStatus: 'failed', nextAttemptAt: null });
  });

  it('a permanent 4xx on the buy fails at once and starts a new purchase generation for the next Retry', async () => {
    const t = setup();
    t.smartvps.script('buy', providerError('buy', 'permanent', 422));
    expect(await provisionOrder(t.payload(), t.world.deps)).toMatchObject({ kind: 'fail' });
    expect(t.stored()).toMatchObject({ provisioningStatus: 'failed', purchaseGeneration: 1, providerReference: null });
    // The Retry buys under the new key.
    t.stored().status = 'paid';
    expect(await t.runToEnd(t.payload({ reason: 'admin', jobId: 'job-2' }))).toMatchObject({ kind: 'done', outcome: 'active' });
    expect(t.smartvps.calls.filter((c) => c.op === 'buy').map((c) => c.arg)).toEqual([`order-${ORDER_ID}-0`, `order-${ORDER_ID}-1`]);
  });

  it('a permanent error on a status call fails without giving up the purchase', async () => {
    const t = setup();
    t.smartvps.script('status', providerError('status', 'permanent', 401));
    expect(await t.runToEnd()).toMatchObject({ kind: 'fail' });
    expect(t.stored()).toMatchObject({ provisioningStatus: 'failed', purchaseGeneration: 0, providerReference: expect.any(String) });
  });

  it('a purchase the provider failed is given up: failed, and the next Retry buys anew', async () => {
    const t = setup();
    t.smartvps.failWhenReady = true;
    expect(await t.runToEnd()).toMatchObject({ kind: 'fail', error: expect.stringMatching(/failed the purchase: out of capacity/) });
    expect(t.stored()).toMatchObject({ providerReference: null, purchaseGeneration: 1 });
  });

  it('no IP within POLL_TIMEOUT_MS is a transient failure', async () => {
    const t = setup();
    t.smartvps.readyAfter = 10_000;
    expect(await t.runToEnd()).toMatchObject({ kind: 'retry', error: expect.stringMatching(/assigned no IP within 600 s/) });
  });

  it('a stored reference the provider no longer knows: looked up by the order, then forgotten and bought anew under a new key', async () => {
    const t = setup();
    const parked = await provisionOrder(t.payload(), t.world.deps);
    if (parked.kind !== 'park') throw new Error('expected a park');
    t.smartvps.forget(parked.poll.reference);
    const outcome = await t.runToEnd({ ...t.payload(), poll: parked.poll });
    expect(outcome).toMatchObject({ kind: 'done', outcome: 'active' });
    expect(t.smartvps.calls.filter((c) => c.op === 'buy').map((c) => c.arg)).toEqual([`order-${ORDER_ID}-0`, `order-${ORDER_ID}-1`]);
    expect(t.stored()).toMatchObject({ purchaseGeneration: 1, providerReference: expect.not.stringMatching(parked.poll.reference) });
  });

  it('a stored reference the provider no longer knows, but listed under another reference: goes on with that one, no buy', async () => {
    const t = setup();
    const parked = await provisionOrder(t.payload(), t.world.deps);
    if (parked.kind !== 'park') throw new Error('expected a park');
    const purchase = t.smartvps.purchases.get(parked.poll.reference)!;
    t.smartvps.purchases.delete(purchase.reference);
    t.smartvps.purchases.set('moved', { ...purchase, reference: 'moved' });
    expect(await t.runToEnd({ ...t.payload(), poll: parked.poll })).toMatchObject({ kind: 'done', outcome: 'active' });
    expect(t.smartvps.calls.filter((c) => c.op === 'buy')).toHaveLength(1);
    expect(t.stored().providerReference).toBe('moved');
  });

  it('a gateway’s 504 to a buy is an unknown answer too: looked for during the grace, under the lock', async () => {
    const t = setup();
    const buy = t.smartvps.buy.bind(t.smartvps);
    t.smartvps.buy = async (request) => {
      await buy(request);
      throw providerError('buy', 'transient', 504);
    };
    expect(await t.runToEnd()).toMatchObject({ kind: 'done', outcome: 'active' });
    expect(t.smartvps.buys()).toHaveLength(1);
  });

  it('a step run again after MongoDB lost the answer to its failing write leaves the order failed', async () => {
    const t = setup();
    t.smartvps.script('buy', providerError('buy', 'permanent', 422));
    expect(await provisionOrder(t.payload(), t.world.deps)).toMatchObject({ kind: 'fail' });
    const calls = t.smartvps.calls.length;
    expect(await provisionOrder(t.payload(), t.world.deps)).toEqual({ kind: 'done', outcome: 'skipped', why: 'already failed by this job' });
    expect(t.smartvps.calls).toHaveLength(calls);
    expect(t.stored()).toMatchObject({ provisioningStatus: 'failed', fence: 1 });
    // Another job (an admin's Retry) does take it.
    expect(await provisionOrder(t.payload({ jobId: 'job-2', reason: 'admin' }), t.world.deps)).toMatchObject({ kind: 'park' });
  });

  it('a job run again after Redis lost its completion leaves the active order and its history as they are', async () => {
    const t = setup();
    expect(await t.runToEnd()).toMatchObject({ kind: 'done', outcome: 'active' });
    const calls = t.smartvps.calls.length;
    expect(await provisionOrder(t.payload(), t.world.deps)).toEqual({ kind: 'done', outcome: 'skipped', why: 'already made active by this job' });
    expect(t.smartvps.calls).toHaveLength(calls);
    expect(t.stored().attempts.map((a) => a.outcome)).toEqual(['active']);
    // Another job (a late duplicate request) records why it did nothing.
    expect(await provisionOrder(t.payload({ jobId: 'job-2' }), t.world.deps)).toEqual({ kind: 'done', outcome: 'skipped', why: 'already_active' });
    expect(t.stored().attempts.map((a) => a.outcome)).toEqual(['active', 'skipped']);
  });

  it('an order the web app cancelled while its purchase was building is not made active; the attempt stops and frees the lock', async () => {
    const t = setup();
    const parked = await provisionOrder(t.payload(), t.world.deps);
    if (parked.kind !== 'park') throw new Error('expected a park');
    t.stored().status = 'cancelled';
    expect(await t.runToEnd({ ...t.payload(), poll: parked.poll })).toEqual({ kind: 'abort', why: 'superseded' });
    expect(t.stored()).toMatchObject({ status: 'cancelled', provisioningStatus: 'provisioning' });
    expect(t.locks.holders.size).toBe(0);
  });

  it('a timed-out buy is looked for during the grace, still under the lock, and goes on when found', async () => {
    const t = setup();
    t.smartvps.script('buy', { timeoutAfterCreating: true });
    expect(await t.runToEnd()).toMatchObject({ kind: 'done', outcome: 'active' });
    expect(t.smartvps.buys()).toHaveLength(1);
    expect(t.stored().attempts.map((a) => a.outcome)).toEqual(['active']);
  });

  it('a timed-out buy that does not appear within the grace: the lock is held for the whole grace, then the attempt retries', async () => {
    const t = setup();
    t.smartvps.script('buy', providerError('buy', 'timeout'));
    const before = t.world.clock.now().getTime();
    let releasedAt = 0;
    const acquire = t.locks.tryAcquire.bind(t.locks);
    t.locks.tryAcquire = async (name) => {
      const lock = await acquire(name);
      return lock && { ...lock, release: async () => ((releasedAt = t.world.clock.now().getTime()), lock.release()) };
    };
    expect(await provisionOrder(t.payload(), t.world.deps)).toMatchObject({ kind: 'retry' });
    expect(releasedAt - before).toBeGreaterThanOrEqual(10_000);
    expect(t.smartvps.calls.filter((c) => c.op === 'find').length).toBeGreaterThan(2);
  });

  it('a lock not certain by the clock for the whole buy is renewed in Redis first, then the buy goes on', async () => {
    const t = setup();
    t.locks.certainMs = 1_000;
    expect(await provisionOrder(t.payload(), t.world.deps)).toMatchObject({ kind: 'park' });
    expect(t.locks.events.slice(0, 2)).toEqual(['acquire 103.101', 'confirm 103.101']);
    expect(t.smartvps.buys()).toHaveLength(1);
  });

  it('does not buy when the lock is not certainly held for longer than a buy can take: hands back and postpones', async () => {
    const t = setup();
    t.locks.certainMs = 0;
    t.locks.validityMs = 20_000;
    expect(await provisionOrder(t.payload(), t.world.deps)).toEqual({ kind: 'postpone', delayMs: 5_000 });
    expect(t.smartvps.calls.map((c) => c.op)).toEqual(['find']);
    expect(t.stored()).toMatchObject({ provisioningStatus: 'queued', attempts: [expect.objectContaining({ outcome: 'aborted' })] });
  });

  it('a write rejected by a newer fence stops the attempt without writing', async () => {
    const t = setup();
    const parked = await provisionOrder(t.payload(), t.world.deps);
    if (parked.kind !== 'park') throw new Error('expected a park');
    t.stored().fence = 5;
    expect(await t.runToEnd({ ...t.payload(), poll: parked.poll })).toEqual({ kind: 'abort', why: 'superseded' });
    expect(t.stored().attempts).toEqual([]);
  });
});

describe('provisionOrder: the first step of a job that names the order (its provider and package)', () => {
  const named = { target: { provider: 'smartvps', packageName: '103.101' } } as const;

  it('locks, takes the order unread while looking the purchase up, and buys: no read before, no lock round trip before the buy', async () => {
    const t = setup();
    const outcome = await provisionOrder(t.payload(named), t.world.deps);
    expect(outcome).toMatchObject({ kind: 'park', poll: { fence: 1, provider: 'smartvps', packageName: '103.101' } });
    expect(t.smartvps.calls.map((c) => c.op)).toEqual(['find', 'buy']);
    expect(t.stored()).toMatchObject({ provisioningStatus: 'provisioning', fence: 1, providerReference: expect.any(String) });
    // Held since moments ago, for longer than a buy can take: no confirm; no lock wait to clear either.
    expect(t.locks.events).toEqual(['acquire 103.101', `keep 103.101 ${pollDelayMs(0, 5_000)}`]);
    expect(t.world.jobEvents).toEqual([]);
    expect(await t.runToEnd({ ...t.payload(named), poll: (outcome as { poll: PollStep }).poll })).toMatchObject({ kind: 'done', outcome: 'active' });
  });

  it('a Hostycare order takes no lock', async () => {
    const t = setup({ provider: 'hostycare', packageName: null });
    const hostycare = t.world.providers.hostycare;
    expect(await provisionOrder(t.payload({ target: { provider: 'hostycare', packageName: null } }), t.world.deps)).toMatchObject({ kind: 'park', poll: { fence: 1 } });
    expect(hostycare.calls.map((c) => c.op)).toEqual(['find', 'buy']);
    expect(t.locks.events).toEqual([]);
  });

  it('finds the purchase an earlier attempt made (the look-up asked beside the take): not buying again', async () => {
    const t = setup();
    await t.smartvps.buy({ orderReference: ORDER_ID, idempotencyKey: `order-${ORDER_ID}-0`, plan: '4gb', os: 'ubuntu-22.04', packageName: '103.101' });
    expect(await provisionOrder(t.payload(named), t.world.deps)).toMatchObject({ kind: 'park', poll: { fence: 1 } });
    expect(t.smartvps.calls.map((c) => c.op)).toEqual(['buy', 'find']);
    expect(t.smartvps.buys()).toHaveLength(1);
  });

  it('an order with a stored reference resumes it: the look-up is not used, nothing is bought', async () => {
    const t = setup({ provisioningStatus: 'queued', fence: 3, providerReference: 'ref_kept' });
    t.smartvps.purchases.set('ref_kept', { reference: 'ref_kept', status: 'pending', orderReference: ORDER_ID, idempotencyKey: 'k', statusCalls: 0 });
    t.smartvps.readyAfter = 3;
    expect(await provisionOrder(t.payload(named), t.world.deps)).toMatchObject({ kind: 'park', poll: { fence: 4, reference: 'ref_kept' } });
    expect(t.smartvps.calls.map((c) => c.op)).toEqual(['find', 'status']);
  });

  it('the look-up failing after the take is the attempt\'s failure, as when it follows the take', async () => {
    const t = setup();
    t.smartvps.script('find', providerError('find', 'transient', 503));
    expect(await provisionOrder(t.payload(named), t.world.deps)).toMatchObject({ kind: 'retry', delayMs: 60_000 });
    expect(t.smartvps.calls.map((c) => c.op)).toEqual(['find']);
    expect(t.stored()).toMatchObject({ provisioningStatus: 'queued', fence: 1 });
    expect(t.locks.holders.size).toBe(0);
  });

  it('an order not as the job names it is read and decided: the named lock is let go, the right one taken', async () => {
    const t = setup();
    const outcome = await provisionOrder(t.payload({ target: { provider: 'smartvps', packageName: '103.999' } }), t.world.deps);
    expect(outcome).toMatchObject({ kind: 'park', poll: { fence: 1, packageName: '103.101' } });
    expect(t.locks.events.slice(0, 3)).toEqual(['acquire 103.999', 'release 103.999', 'acquire 103.101']);
    // The look-up the refused take went with changed nothing; the attempt looked up again, then bought once.
    expect(t.smartvps.calls.map((c) => c.op)).toEqual(['find', 'find', 'buy']);
    expect(t.smartvps.buys()).toHaveLength(1);
  });

  it('a failed order (a Retry not yet marked queued) is read and decided, and taken from failed', async () => {
    const t = setup({ provisioningStatus: 'failed', fence: 2 });
    expect(await provisionOrder(t.payload(named), t.world.deps)).toMatchObject({ kind: 'park', poll: { fence: 3 } });
  });

  it('a look-up that fails beside a refused take is never an unhandled rejection', async () => {
    const t = setup({ status: 'cancelled' });
    t.smartvps.script('find', providerError('find', 'transient', 503));
    expect(await provisionOrder(t.payload(named), t.world.deps)).toMatchObject({ kind: 'done', outcome: 'skipped' });
    expect(t.locks.holders.size).toBe(0);
  });

  it('the lock busy: waits in line as a job that read the order would, the order queued', async () => {
    const t = setup({ provisioningStatus: 'queued' });
    await t.locks.tryAcquire('103.101');
    expect(await provisionOrder(t.payload(named), t.world.deps)).toEqual({ kind: 'postpone', delayMs: 5_000, lockWaitSince: t.world.clock.now() });
    expect(t.smartvps.calls).toEqual([]);
    expect(t.stored()).toMatchObject({ provisioningStatus: 'queued', fence: 0 });
  });

  it('a pause that cannot be read (Redis failing) lets a lock granted beside it go, and the step fails for the worker to run again', async () => {
    const t = setup({ provisioningStatus: 'queued' });
    t.world.deps.pauses.remainingMs = async () => {
      throw new Error('Connection is closed.');
    };
    await expect(provisionOrder(t.payload(named), t.world.deps)).rejects.toThrow('Connection is closed.');
    expect(t.locks.events).toEqual(['acquire 103.101', 'release 103.101']);
    expect(t.locks.holders.size).toBe(0);
    expect(t.stored()).toMatchObject({ provisioningStatus: 'queued', fence: 0 });
  });

  it('the provider paused: lets the lock go and waits the pause out, the attempt unused', async () => {
    const t = setup({ provisioningStatus: 'queued' });
    await t.world.deps.pauses.pause('smartvps', 7_000);
    expect(await provisionOrder(t.payload(named), t.world.deps)).toMatchObject({ kind: 'postpone', delayMs: 7_000 });
    expect(t.smartvps.calls).toEqual([]);
    expect(t.locks.holders.size).toBe(0);
    expect(t.stored()).toMatchObject({ provisioningStatus: 'queued', fence: 0 });
  });
});

describe('provisionOrder: a provider asking to slow down (429)', () => {
  it('pauses that provider, uses no attempt, and waits as Retry-After says (bounded to 1 s … 5 min)', async () => {
    const t = setup();
    t.smartvps.script('find', providerError('find', 'rate_limited', 429, 20_000));
    const outcome = await provisionOrder(t.payload(), t.world.deps);
    expect(outcome).toMatchObject({ kind: 'postpone', delayMs: 20_000, rateLimit: { since: t.world.clock.now() } });
    expect(t.stored()).toMatchObject({ provisioningStatus: 'queued', provisioningError: expect.stringMatching(/429.*waiting 20 s/), attempts: [] });
    expect(await t.world.deps.pauses.remainingMs('smartvps')).toBe(20_000);
    expect(await t.world.deps.pauses.remainingMs('hostycare')).toBe(0);

    t.smartvps.script('find', providerError('find', 'rate_limited', 429, 3_600_000));
    t.world.clock.advance(20_000);
    expect(await provisionOrder(t.payload(), t.world.deps)).toMatchObject({ kind: 'postpone', delayMs: 300_000 });
    t.smartvps.script('find', providerError('find', 'rate_limited', 429, 10));
    t.world.clock.advance(300_000);
    expect(await provisionOrder(t.payload(), t.world.deps)).toMatchObject({ kind: 'postpone', delayMs: 1_000 });
  });

  it('a provider pause during a lock wait keeps the wait’s start', async () => {
    const t = setup();
    await t.world.deps.pauses.pause('smartvps', 7_000);
    const since = new Date(t.world.clock.now().getTime() - 60_000);
    expect(await provisionOrder(t.payload({ lockWaitSince: since }), t.world.deps)).toMatchObject({ kind: 'postpone', lockWaitSince: since });
  });

  it('other jobs of a paused provider wait without calling it', async () => {
    const t = setup();
    await t.world.deps.pauses.pause('smartvps', 7_000);
    expect(await provisionOrder(t.payload(), t.world.deps)).toMatchObject({ kind: 'postpone', delayMs: 7_000 });
    expect(t.smartvps.calls).toEqual([]);
    expect(t.stored().fence).toBe(0);
  });

  it('mid-poll, parks for the wait and keeps the lock', async () => {
    const t = setup();
    const parked = await provisionOrder(t.payload(), t.world.deps);
    if (parked.kind !== 'park') throw new Error('expected a park');
    t.smartvps.script('status', providerError('status', 'rate_limited', 429, 4_000));
    expect(await provisionOrder({ ...t.payload(), poll: parked.poll }, t.world.deps)).toMatchObject({ kind: 'park', delayMs: 4_000 });
    expect(t.locks.holders.has('103.101')).toBe(true);
  });

  it('fails with the provider message once the total wait passes RATE_LIMIT_MAX_WAIT_MS', async () => {
    const t = setup();
    t.smartvps.script('find', providerError('find', 'rate_limited', 429, 60_000));
    const since = new Date(t.world.clock.now().getTime() - 1_790_000);
    const outcome = await provisionOrder(t.payload({ rateLimit: { since, message: 'earlier' } }), t.world.deps);
    expect(outcome).toMatchObject({ kind: 'fail', error: expect.stringMatching(/Fake find failed: rate_limited \(HTTP 429\) \(rate limited for 1790 s, limit 1800 s\)/) });
    expect(t.stored().provisioningStatus).toBe('failed');
  });
});

describe('provisionOrder: shutdown and dead workers', () => {
  it('shutdown during the first step hands the attempt back unused', async () => {
    const t = setup();
    t.world.shutdown.abort(new Error('worker shutting down'));
    t.smartvps.script('find', providerError('find', 'transient'));
    expect(await provisionOrder(t.payload(), t.world.deps)).toEqual({ kind: 'abort', why: 'shutdown' });
    expect(t.stored()).toMatchObject({ provisioningStatus: 'queued', attempts: [expect.objectContaining({ outcome: 'aborted' })] });
    expect(t.locks.holders.size).toBe(0);
  });

  it('shutdown during a poll parks it for another worker at once, keeping the lock', async () => {
    const t = setup();
    const parked = await provisionOrder(t.payload(), t.world.deps);
    if (parked.kind !== 'park') throw new Error('expected a park');
    t.world.shutdown.abort(new Error('worker shutting down'));
    t.smartvps.script('status', providerError('status', 'transient'));
    expect(await provisionOrder({ ...t.payload(), poll: parked.poll }, t.world.deps)).toMatchObject({ kind: 'park', delayMs: 0, poll: { reference: parked.poll.reference } });
    expect(t.locks.holders.has('103.101')).toBe(true);
    expect(t.stored()).toMatchObject({ provisioningStatus: 'provisioning', attempts: [] });
  });

  it(`counts runs that died with their worker and fails the order after ${MAX_ATTEMPT_DEATHS} in a row`, async () => {
    const t = setup();
    const first = await provisionOrder(t.payload({ newDeaths: 1 }), t.world.deps);
    expect(first.kind).toBe('park');
    // That run got past where the last one died: the count starts again (a kill took it along, it killed nothing).
    expect(t.stored()).toMatchObject({ attemptDeaths: 0, attempts: [expect.objectContaining({ outcome: 'died' })] });
    expect(t.world.jobEvents).toContain('deathsRecorded');

    // A run that only finds the lock busy made no progress: the deaths stay counted.
    t.locks.holders.set('103.101', 'another-holder');
    expect(await provisionOrder(t.payload({ newDeaths: 1, lockWaitSince: t.world.clock.now() }), t.world.deps)).toMatchObject({ kind: 'postpone' });
    expect(t.stored().attemptDeaths).toBe(1);
    t.locks.holders.clear();

    const last = await provisionOrder(t.payload({ newDeaths: MAX_ATTEMPT_DEATHS - 1 }), t.world.deps);
    expect(last).toMatchObject({ kind: 'fail', error: expect.stringMatching(/died with its worker 3 times/) });
    expect(t.stored()).toMatchObject({ provisioningStatus: 'failed', attemptDeaths: 0 });
  });
});
