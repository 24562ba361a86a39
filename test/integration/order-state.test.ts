import { Types } from 'mongoose';
import { connectDatabase, type Database } from '../../src/db/connection';
import { StaleAttemptError } from '../../src/domain/errors';
import { MAX_ATTEMPT_HISTORY, type AttemptRecord, type OrderSnapshot, type OrderState, type OrderTarget } from '../../src/order-state/order-state';
import { waitFor } from '../support/wait-for';
import { useIntegrationEnv } from '../support/integration';
import { createMemoryOrderState } from '../support/memory-order-state';

/**
 * The order-state module's contract, run against both implementations: MongoDB (the real one, through
 * mongoose) and the in-memory one the use-case unit tests stand on. If they drift, one of these fails.
 */

interface NewOrder {
  status?: 'pending' | 'paid' | 'confirmed' | 'active' | 'cancelled';
  provider?: 'smartvps' | 'hostycare';
  provisioningStatus?: 'queued' | 'provisioning' | 'active' | 'failed' | null;
  packageName?: string | null;
  ipAddress?: string | null;
}

interface Subject {
  state: OrderState;
  /** Inserts an order as the web app writes it; returns its id. */
  insert(fields?: NewOrder): Promise<string>;
}

const env = useIntegrationEnv({ redis: false });
let db: Database;
beforeAll(async () => {
  db = env.track(await connectDatabase(env.mongoUrl));
});

const implementations: [string, () => Subject][] = [
  [
    'MongoDB',
    () => ({
      state: db.orderState,
      insert: async (fields = {}) => {
        const order = await db.orders.create({ status: 'paid', provider: 'smartvps', packageName: '103.101', plan: '4gb', os: 'ubuntu-22.04', ...fields });
        return String(order._id);
      },
    }),
  ],
  [
    'in memory',
    () => {
      const state = createMemoryOrderState();
      return {
        state,
        insert: async (fields = {}) => {
          const id = new Types.ObjectId().toHexString();
          state.insert({ id, status: 'paid', provider: 'smartvps', packageName: '103.101', ...fields });
          return id;
        },
      };
    },
  ],
];

const attempt = (outcome: AttemptRecord['outcome'], n = 1): AttemptRecord => ({
  at: new Date(),
  reason: 'admin',
  jobId: `job-${n}`,
  attempt: n,
  outcome,
  error: outcome === 'active' ? null : 'why',
  durationMs: 5,
});

describe.each(implementations)('order state (%s)', (_name, make) => {
  let s: Subject;
  beforeEach(() => {
    s = make();
  });
  const load = async (id: string) => (await s.state.load(id)) as OrderSnapshot;

  it('loads a snapshot with the package name normalised and defaults for fields the web app never wrote', async () => {
    const id = await s.insert({ packageName: '  103.101 ' });
    expect(await load(id)).toMatchObject({ id, packageName: '103.101', fence: 0, purchaseGeneration: 0, attemptDeaths: 0, provisioningStatus: null, providerReference: null });
    expect(await s.state.load(new Types.ObjectId().toHexString())).toBeNull();
    expect(await s.state.load('not-an-order-id')).toBeNull();
  });

  it('every write moves updatedAt, which the sweeper judges stuck orders by', async () => {
    const id = await s.insert({ provisioningStatus: 'failed' });
    let seen = await load(id);
    const movedOn = async () => {
      const before = (seen.updatedAt as Date).getTime();
      await waitFor(() => Date.now() > before, { message: 'the clock ticks' });
      return async () => {
        seen = await load(id);
        expect((seen.updatedAt as Date).getTime()).toBeGreaterThan(before);
      };
    };
    let check = await movedOn();
    expect(await s.state.markQueued(seen, 'admin', new Date())).toBe(true);
    await check();
    check = await movedOn();
    const fence = (await s.state.take(seen, new Date())) as number;
    await check();
    check = await movedOn();
    await s.state.storePurchase(id, fence, 'srv_1');
    await check();
    // Writes with no $set of their own: a history entry, a death count, an event delivered.
    check = await movedOn();
    await s.state.recordSkip(id, attempt('skipped'));
    await check();
    check = await movedOn();
    expect(await s.state.recordDeaths(id, 1, attempt('died'))).toBe(1);
    await check();
    const eventId = await s.state.markActive(id, fence, { ipAddress: '10.0.0.9', credentialsEncrypted: null }, attempt('active'));
    seen = await load(id);
    check = await movedOn();
    await s.state.eventDelivered(id, eventId);
    await check();
  });

  it('take is a compare-and-set: one winner per read, a new fence, provisioning', async () => {
    const id = await s.insert({ provisioningStatus: 'queued' });
    const seen = await load(id);
    expect(await s.state.take(seen, new Date())).toBe(1);
    expect(await s.state.take(seen, new Date())).toBeNull();
    expect(await load(id)).toMatchObject({ provisioningStatus: 'provisioning', fence: 1 });
    expect(await s.state.take(await load(id), new Date())).toBe(2);
  });

  it('takeUnread takes the usual order as its job names it, in one write that answers it with the new fence', async () => {
    const now = new Date();
    const id = await s.insert({ provisioningStatus: 'queued' });
    expect(await s.state.takeUnread(id, { provider: 'smartvps', packageName: '103.101' }, now)).toMatchObject({
      id,
      provisioningStatus: 'provisioning',
      fence: 1,
      provider: 'smartvps',
      packageName: '103.101',
      lastProvisionAttempt: now,
    });
    // Held by an older attempt (it died): taken over, the fence moves on.
    expect(await s.state.takeUnread(id, { provider: 'smartvps', packageName: '103.101' }, now)).toMatchObject({ fence: 2 });
    // A Hostycare order names no package to match.
    const hostycare = await s.insert({ provider: 'hostycare', packageName: null });
    expect(await s.state.takeUnread(hostycare, { provider: 'hostycare', packageName: null }, now)).toMatchObject({ fence: 1, provisioningStatus: 'provisioning' });
  });

  it('takeUnread changes nothing on an order that is not as usual: read and decided instead', async () => {
    const target: OrderTarget = { provider: 'smartvps', packageName: '103.101' };
    const unusual: [NewOrder, OrderTarget][] = [
      [{ provisioningStatus: 'failed' }, target],
      [{ provisioningStatus: 'active', ipAddress: '10.0.0.1' }, target],
      [{ status: 'active', ipAddress: '10.0.0.1' }, target],
      [{ status: 'pending' }, target],
      [{ status: 'cancelled' }, target],
      [{ packageName: '103.102' }, target],
      [{ packageName: ' 103.101 ' }, target],
      [{ provider: 'hostycare' }, target],
      [{ packageName: null }, { provider: 'smartvps', packageName: null }],
    ];
    for (const [fields, named] of unusual) {
      const id = await s.insert(fields);
      const before = await load(id);
      expect(await s.state.takeUnread(id, named, new Date())).toBeNull();
      expect(await load(id)).toEqual(before);
    }
    expect(await s.state.takeUnread(new Types.ObjectId().toHexString(), target, new Date())).toBeNull();
  });

  it('every fenced write of a superseded attempt is refused with StaleAttemptError and changes nothing', async () => {
    const id = await s.insert();
    const old = (await s.state.take(await load(id), new Date())) as number;
    await s.state.take(await load(id), new Date());
    const before = await load(id);
    await expect(s.state.storePurchase(id, old, 'ref')).rejects.toBeInstanceOf(StaleAttemptError);
    await expect(s.state.forgetPurchase(id, old)).rejects.toBeInstanceOf(StaleAttemptError);
    await expect(s.state.markActive(id, old, { ipAddress: '10.0.0.1', credentialsEncrypted: null }, attempt('active'))).rejects.toBeInstanceOf(StaleAttemptError);
    await expect(s.state.scheduleRetry(id, old, { error: 'x' }, new Date(), attempt('retrying'))).rejects.toBeInstanceOf(StaleAttemptError);
    await expect(s.state.deferAttempt(id, old, 'slow down', new Date())).rejects.toBeInstanceOf(StaleAttemptError);
    await expect(s.state.handBack(id, old, attempt('aborted'))).rejects.toBeInstanceOf(StaleAttemptError);
    await expect(s.state.fail(id, old, { error: 'x' }, attempt('failed'))).rejects.toBeInstanceOf(StaleAttemptError);
    expect(await load(id)).toEqual({ ...before, updatedAt: expect.anything() });
  });

  it('an attempt stores its purchase, then marks the order active with its history', async () => {
    const id = await s.insert();
    const fence = (await s.state.take(await load(id), new Date())) as number;
    await s.state.storePurchase(id, fence, 'srv_1');
    expect(await load(id)).toMatchObject({ providerReference: 'srv_1', provisioningStatus: 'provisioning' });
    await s.state.markActive(id, fence, { ipAddress: '10.0.0.1', credentialsEncrypted: 'v1.x' }, attempt('active'));
    expect(await load(id)).toMatchObject({ status: 'active', provisioningStatus: 'active', ipAddress: '10.0.0.1', attemptDeaths: 0 });
    // Active is final: no transition moves it.
    const active = await load(id);
    expect(await s.state.take(active, new Date())).toBeNull();
    expect(await s.state.markQueued(active, 'admin', new Date())).toBe(false);
    expect(await s.state.refuse(active, { error: 'x' }, attempt('failed'))).toBeNull();
    expect(await s.state.markStalled(active, 'x', attempt('failed'))).toBeNull();
    expect(await load(id)).toMatchObject({ provisioningStatus: 'active' });
  });

  it('an order cancelled mid-attempt takes no purchase and is never made active', async () => {
    const id = await s.insert();
    const fence = (await s.state.take(await load(id), new Date())) as number;
    await cancel(s, id);
    await expect(s.state.storePurchase(id, fence, 'srv_1')).rejects.toBeInstanceOf(StaleAttemptError);
    await expect(s.state.markActive(id, fence, { ipAddress: '10.0.0.1', credentialsEncrypted: null }, attempt('active'))).rejects.toBeInstanceOf(StaleAttemptError);
    expect(await load(id)).toMatchObject({ status: 'cancelled', ipAddress: null });
  });

  it('forgetting a purchase, or giving it up on failure, clears the reference and starts a new generation', async () => {
    const id = await s.insert();
    const fence = (await s.state.take(await load(id), new Date())) as number;
    await s.state.storePurchase(id, fence, 'srv_1');
    await s.state.forgetPurchase(id, fence);
    expect(await load(id)).toMatchObject({ providerReference: null, purchaseGeneration: 1 });
    await s.state.storePurchase(id, fence, 'srv_2');
    await s.state.scheduleRetry(id, fence, { error: 'transient' }, new Date(Date.now() + 1000), attempt('retrying'));
    expect(await load(id)).toMatchObject({ provisioningStatus: 'queued', providerReference: 'srv_2', purchaseGeneration: 1 });
    const next = (await s.state.take(await load(id), new Date())) as number;
    await s.state.fail(id, next, { error: 'HTTP 422', abandonPurchase: true }, attempt('failed', 2));
    expect(await load(id)).toMatchObject({ provisioningStatus: 'failed', providerReference: null, purchaseGeneration: 2 });
  });

  it('hand-back and deferral return a taken attempt to queued', async () => {
    const id = await s.insert();
    const fence = (await s.state.take(await load(id), new Date())) as number;
    await s.state.deferAttempt(id, fence, 'HTTP 429', new Date());
    expect(await load(id)).toMatchObject({ provisioningStatus: 'queued', fence });
    const again = (await s.state.take(await load(id), new Date())) as number;
    await s.state.handBack(id, again, attempt('aborted'));
    expect(await load(id)).toMatchObject({ provisioningStatus: 'queued', fence: again });
  });

  it('markQueued applies only if the order did not move since it was read', async () => {
    const id = await s.insert({ provisioningStatus: 'failed' });
    const seen = await load(id);
    expect(await s.state.markQueued(seen, 'admin', new Date())).toBe(true);
    expect(await load(id)).toMatchObject({ provisioningStatus: 'queued' });
    // A worker took it and failed it at once after our read: its word wins.
    const racing = await s.insert({ provisioningStatus: 'failed' });
    const stale = await load(racing);
    const fence = (await s.state.take(stale, new Date())) as number;
    await s.state.fail(racing, fence, { error: 'no packageName' }, attempt('failed'));
    expect(await s.state.markQueued(stale, 'admin', new Date())).toBe(false);
    expect(await load(racing)).toMatchObject({ provisioningStatus: 'failed' });
  });

  it('waitForLock shows queued, unless an attempt took the order meanwhile', async () => {
    const id = await s.insert({ provisioningStatus: 'failed' });
    const seen = await load(id);
    await s.state.waitForLock(seen);
    expect(await load(id)).toMatchObject({ provisioningStatus: 'queued' });
    await s.state.take(await load(id), new Date());
    await s.state.waitForLock(seen);
    expect(await load(id)).toMatchObject({ provisioningStatus: 'provisioning' });
  });

  it('refuse fails an untaken order and bumps its fence; not when an attempt took it since', async () => {
    const id = await s.insert({ provisioningStatus: 'queued' });
    expect(await s.state.refuse(await load(id), { error: 'no packageName' }, attempt('failed'))).toBe(`evt_${id}_1`);
    expect(await load(id)).toMatchObject({ provisioningStatus: 'failed', fence: 1 });
    const other = await s.insert({ provisioningStatus: 'queued' });
    const seen = await load(other);
    await s.state.take(seen, new Date());
    expect(await s.state.refuse(seen, { error: 'x' }, attempt('failed'))).toBeNull();
  });

  it('markStalled applies only to an untouched unfinished order', async () => {
    const id = await s.insert({ provisioningStatus: 'queued' });
    const seen = await load(id);
    expect(await s.state.markStalled(seen, 'Provisioning stalled', attempt('failed'))).toEqual(expect.any(String));
    expect(await load(id)).toMatchObject({ provisioningStatus: 'failed' });
    // Read before its last write (updatedAt moved on since): somebody is still moving it.
    const touched = await load(await s.insert({ provisioningStatus: 'queued' }));
    const readEarlier = { ...touched, updatedAt: new Date((touched.updatedAt as Date).getTime() - 1_000) };
    expect(await s.state.markStalled(readEarlier, 'Provisioning stalled', attempt('failed'))).toBeNull();
    expect(await load(touched.id)).toMatchObject({ provisioningStatus: 'queued' });
  });

  it('a payment marks a pending order paid and asks for its first attempt, once; a failed order is left for Retry', async () => {
    const id = await s.insert({ status: 'pending' });
    const { order } = await s.state.recordPayment(id, { markPaid: true, requestFirstAttempt: true }, new Date());
    expect(order).toMatchObject({ status: 'paid', autoProvisioned: true, provisioningStatus: 'queued' });
    const fence = (await s.state.take(order as OrderSnapshot, new Date())) as number;
    // A replay changes nothing.
    expect((await s.state.recordPayment(id, { markPaid: true, requestFirstAttempt: true }, new Date())).order).toMatchObject({ status: 'paid', provisioningStatus: 'provisioning', fence });
    const failed = await s.insert({ provisioningStatus: 'failed' });
    expect((await s.state.recordPayment(failed, { markPaid: false, requestFirstAttempt: true }, new Date())).order).toMatchObject({ provisioningStatus: 'failed' });
    // Pending, but an attempt already failed it (provisioned by hand before the payment): paid, and still left for Retry.
    const triedEarly = await s.insert({ status: 'pending', provisioningStatus: 'failed' });
    expect((await s.state.recordPayment(triedEarly, { markPaid: true, requestFirstAttempt: true }, new Date())).order).toMatchObject({
      status: 'paid',
      autoProvisioned: true,
      provisioningStatus: 'failed',
    });
  });

  it('the usual payment in one write: only a pending order nobody asked to provision; anything else is left to recordPayment', async () => {
    const id = await s.insert({ status: 'pending' });
    expect(await s.state.payPending(id, new Date())).toMatchObject({ id, status: 'paid', autoProvisioned: true, provisioningStatus: 'queued', fence: 0 });
    // Paid already (a replay, a concurrent delivery): nothing written.
    expect(await s.state.payPending(id, new Date())).toBeNull();
    for (const fields of [{ status: 'pending', provisioningStatus: 'failed' }, { status: 'paid' }, { status: 'cancelled' }] as const) {
      const other = await s.insert(fields);
      const before = await load(other);
      expect(await s.state.payPending(other, new Date())).toBeNull();
      expect(await load(other)).toEqual(before);
    }
    expect(await s.state.payPending(new Types.ObjectId().toHexString(), new Date())).toBeNull();
  });

  it('counts attempts that died with their worker; an active order has none to count', async () => {
    const id = await s.insert({ provisioningStatus: 'provisioning' });
    expect(await s.state.recordDeaths(id, 1, attempt('died'))).toBe(1);
    expect(await s.state.recordDeaths(id, 2, attempt('died'))).toBe(3);
    await s.state.clearDeaths(id);
    expect(await load(id)).toMatchObject({ attemptDeaths: 0, provisioningStatus: 'provisioning' });
    const active = await s.insert({ status: 'active', provisioningStatus: 'active', ipAddress: '10.0.0.9' });
    expect(await s.state.recordDeaths(active, 1, attempt('died'))).toBeNull();
  });

  it('records an event for the web app in the same write as each final change, with a sequence that only grows', async () => {
    const id = await s.insert({ provisioningStatus: 'queued' });
    const fence = (await s.state.take(await load(id), new Date())) as number;
    const failed = await s.state.fail(id, fence, { error: 'HTTP 422' }, attempt('failed'));
    expect(failed).toBe(`evt_${id}_${fence}`);
    expect(await s.state.pendingEvent(id, failed)).toMatchObject({ orderId: id, provider: 'smartvps', event: { id: failed, type: 'order.failed', sequence: fence, error: 'HTTP 422' } });
    const retried = (await s.state.take(await load(id), new Date())) as number;
    const active = await s.state.markActive(id, retried, { ipAddress: '10.0.0.2', credentialsEncrypted: null }, attempt('active', 2));
    const pending = await s.state.pendingEvent(id, active);
    expect(pending?.event).toMatchObject({ type: 'order.provisioned', ipAddress: '10.0.0.2' });
    expect(pending?.event.sequence).toBeGreaterThan(fence);
    expect(pending?.event).not.toHaveProperty('credentials');

    const listed: string[] = [];
    for await (const found of s.state.pendingEvents(new Date(Date.now() - 60_000), new Date(Date.now() + 1_000))) if (found.orderId === id) listed.push(found.event.id);
    expect(listed).toEqual([failed, active]);
    await s.state.eventDelivered(id, failed);
    expect(await s.state.pendingEvent(id, failed)).toBeNull();
    expect(await s.state.pendingEvent(id, active)).not.toBeNull();
    // A change that reports nothing writes no event.
    const other = await s.insert({ provisioningStatus: 'queued' });
    const otherFence = (await s.state.take(await load(other), new Date())) as number;
    await s.state.scheduleRetry(other, otherFence, { error: 'HTTP 503' }, new Date(), attempt('retrying'));
    for await (const found of s.state.pendingEvents(new Date(0), new Date(Date.now() + 1_000))) expect(found.orderId).not.toBe(other);
  });

  it('keeps the newest attempts, bounded', async () => {
    const id = await s.insert({ status: 'cancelled' });
    for (let n = 1; n <= MAX_ATTEMPT_HISTORY + 5; n += 1) await s.state.recordSkip(id, attempt('skipped', n));
    const recorded = await historyOf(s, id);
    expect(recorded).toHaveLength(MAX_ATTEMPT_HISTORY);
    expect(recorded[0]).toBe(6);
    expect(recorded.at(-1)).toBe(MAX_ATTEMPT_HISTORY + 5);
  });

  it('lists the unfinished paid orders for the sweeper', async () => {
    const queued = await s.insert({ provisioningStatus: 'queued' });
    const provisioning = await s.insert({ provisioningStatus: 'provisioning' });
    const failed = await s.insert({ provisioningStatus: 'failed' });
    const unpaid = await s.insert({ status: 'pending', provisioningStatus: 'queued' });
    const ids: string[] = [];
    for await (const order of s.state.unfinished()) ids.push(order.id);
    expect(ids).toEqual(expect.arrayContaining([queued, provisioning]));
    expect(ids).not.toContain(failed);
    expect(ids).not.toContain(unpaid);
  });
});

/** The web app cancels an order (its own field, written as it writes it). */
async function cancel(s: Subject, id: string): Promise<void> {
  const memory = (s.state as ReturnType<typeof createMemoryOrderState>).orders;
  if (memory) (memory.get(id) as { status: string }).status = 'cancelled';
  else await db.orders.collection.updateOne({ _id: new Types.ObjectId(id) }, { $set: { status: 'cancelled' } });
}

/** The attempt numbers in an order's history, oldest first, as each implementation stores it. */
async function historyOf(s: Subject, id: string): Promise<number[]> {
  const memory = (s.state as ReturnType<typeof createMemoryOrderState>).orders;
  if (memory) return (memory.get(id)?.attempts ?? []).map((a) => a.attempt);
  const order = await db.orders.findById(id).lean();
  return (order?.attempts ?? []).map((a) => a.attempt);
}
