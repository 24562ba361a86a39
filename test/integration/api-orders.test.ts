import { findLiveProvisionJob, PROVISION_JOB } from '../../src/queue/provision-queue';
import { IN_PROGRESS_MESSAGE, unknownId, useApi } from './api-harness';

const api = useApi();

interface OrderView {
  id: string;
  status: string;
  provisioningStatus: string | null;
  hasCredentials: boolean;
  provisionAction: { visible: boolean; label: string; variant: string; disabled: boolean; reason?: string };
  job: { id: string; state: string; attemptsMade: number; nextAttemptAt: string | null } | null;
  [field: string]: unknown;
}

const provision = (orderId: string) => api.json(`/api/orders/${orderId}/provision`, { method: 'POST' });

describe('order views: the admin page examples', () => {
  const examples = [
    {
      name: 'fresh confirmed order, not auto-provisioned',
      order: { status: 'confirmed', provider: 'hostycare', autoProvisioned: false, provisioningStatus: null, ipAddress: null },
      action: { visible: true, label: 'Provision', variant: 'default', disabled: false },
    },
    {
      name: 'failed SmartVPS order',
      order: {
        status: 'confirmed',
        provider: 'smartvps',
        autoProvisioned: true,
        provisioningStatus: 'failed',
        ipAddress: null,
        provisioningError: 'SmartVPS buyVps timeout after 3 attempts',
      },
      action: { visible: true, label: 'Retry', variant: 'destructive', disabled: false },
    },
    {
      name: 'confirmed SmartVPS order without an IP',
      order: { status: 'confirmed', provider: 'smartvps', autoProvisioned: true, provisioningStatus: 'provisioning', ipAddress: null },
      action: { visible: true, label: 'Provision', variant: 'default', disabled: false },
    },
    {
      name: 'active order with an IP',
      order: { status: 'active', provider: 'smartvps', autoProvisioned: true, provisioningStatus: 'active', ipAddress: '103.177.114.195' },
      action: { visible: false, label: 'Provision', variant: 'default', disabled: false },
    },
    {
      name: 'failed Hostycare order',
      order: { status: 'confirmed', provider: 'hostycare', autoProvisioned: true, provisioningStatus: 'failed', ipAddress: null },
      action: { visible: true, label: 'Retry', variant: 'destructive', disabled: false },
    },
  ] as const;

  it.each(examples)('$name: provisionAction in the order view and in the list', async ({ order, action }) => {
    const id = await api.createOrder({ ...order });
    const one = await api.json<OrderView>(`/api/orders/${id}`);
    expect(one.status).toBe(200);
    expect(one.body.provisionAction).toEqual(action);
    expect(one.body.job).toBeNull();

    const list = await api.json<{ orders: OrderView[] }>(`/api/orders?limit=100`);
    expect(list.status).toBe(200);
    expect(list.body.orders.find((o) => o.id === id)?.provisionAction).toEqual(action);
  });
});

describe('order view', () => {
  it('has the documented fields and never credentials', async () => {
    const id = await api.createOrder({ status: 'confirmed', provisioningStatus: 'failed', provisioningError: 'boom' });
    await api.db.orders.updateOne({ _id: id }, { $set: { credentialsEncrypted: 'v1:SECRET-CIPHERTEXT' } });
    const res = await api.request(`/api/orders/${id}`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(text).not.toContain('SECRET-CIPHERTEXT');
    expect(text).not.toMatch(/"credentials(Encrypted)?"/i);
    const view = JSON.parse(text) as OrderView;
    expect(Object.keys(view).sort()).toEqual(
      [
        'id',
        'status',
        'provider',
        'autoProvisioned',
        'provisioningStatus',
        'provisioningError',
        'lastProvisionAttempt',
        'ipAddress',
        'os',
        'plan',
        'packageName',
        'providerReference',
        'nextAttemptAt',
        'attempts',
        'createdAt',
        'updatedAt',
        'hasCredentials',
        'provisionAction',
        'job',
        'customerEmail',
        'audit',
      ].sort(),
    );
    expect(view).toMatchObject({ id, status: 'confirmed', provider: 'smartvps', provisioningStatus: 'failed', provisioningError: 'boom', hasCredentials: true, attempts: [] });
  });

  it('shows the live job and disables the button while it exists', async () => {
    const id = await api.createOrder({ status: 'paid', provisioningStatus: 'failed' });
    const queued = await provision(id);
    expect(queued.status).toBe(202);
    const { body } = await api.json<OrderView>(`/api/orders/${id}`);
    expect(body.job).toEqual({ id: queued.body.jobId, state: 'waiting', attemptsMade: 0, nextAttemptAt: null });
    expect(body.provisioningStatus).toBe('queued');
    expect(body.provisionAction).toMatchObject({ disabled: true, reason: 'in_progress' });
  });

  it('gives a delayed job its next run time', async () => {
    const id = await api.createOrder({ status: 'paid', provisioningStatus: 'queued' });
    const before = Date.now();
    const job = await api.queue.add(
      PROVISION_JOB,
      { orderId: id, reason: 'payment', requestedAt: new Date().toISOString() },
      { jobId: `${id}-delayed`, delay: 60_000, deduplication: { id } },
    );
    const { body } = await api.json<OrderView>(`/api/orders/${id}`);
    expect(body.job).toMatchObject({ id: job.id, state: 'delayed', attemptsMade: 0 });
    const next = Date.parse(body.job?.nextAttemptAt ?? '');
    expect(next).toBeGreaterThanOrEqual(before + 60_000 - 1_000);
    expect(next).toBeLessThanOrEqual(Date.now() + 60_000 + 1_000);
  });

  it('answers 404 not_found for an unknown order', async () => {
    const { status, body } = await api.json(`/api/orders/${unknownId()}`);
    expect(status).toBe(404);
    expect(body).toMatchObject({ error: 'not_found' });
    expect(typeof body.message).toBe('string');
  });
});

describe('order list', () => {
  it('pages newest first with an opaque cursor, and filters', async () => {
    for (let i = 0; i < 5; i++) await api.createOrder({ status: 'pending', provider: 'hostycare', packageName: null });
    const expected = (await api.db.orders.find({ status: 'pending', provider: 'hostycare' }).sort({ _id: -1 }).select({ _id: 1 }).lean()).map((o) =>
      o._id.toString(),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/api/orders?status=pending&provider=hostycare&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await api.json<{ orders: OrderView[]; nextCursor: string | null }>(query);
      expect(page.status).toBe(200);
      expect(page.body.orders.length).toBeLessThanOrEqual(2);
      for (const order of page.body.orders) {
        expect(order).toMatchObject({ status: 'pending', provider: 'hostycare' });
        expect(order).toHaveProperty('provisionAction');
        expect(order).toHaveProperty('job');
      }
      seen.push(...page.body.orders.map((o) => o.id));
      cursor = page.body.nextCursor;
      if (cursor) expect(cursor).not.toMatch(/^[0-9a-f]{24}$/);
    } while (cursor);
    expect(seen).toEqual(expected);
  });

  it('defaults to 20 and filters by provisioningStatus', async () => {
    for (let i = 0; i < 21; i++) await api.createOrder({ status: 'confirmed', provisioningStatus: 'failed', provider: 'hostycare', packageName: null });
    const page = await api.json<{ orders: OrderView[]; nextCursor: string | null }>('/api/orders?provisioningStatus=failed');
    expect(page.status).toBe(200);
    expect(page.body.orders).toHaveLength(20);
    expect(page.body.nextCursor).toEqual(expect.any(String));
    expect(page.body.orders.every((o) => o.provisioningStatus === 'failed')).toBe(true);
  });
});

describe('POST /api/orders/:orderId/provision: the decision table', () => {
  it('not found → 404', async () => {
    const { status, body } = await provision(unknownId());
    expect(status).toBe(404);
    expect(body).toMatchObject({ error: 'not_found' });
  });

  it('active with IP → 200 already_active, nothing enqueued', async () => {
    const id = await api.createOrder({ status: 'active', provisioningStatus: 'active', ipAddress: '10.0.0.1', autoProvisioned: true });
    const before = await api.rawOrder(id);
    const { status, body } = await provision(id);
    expect(status).toBe(200);
    expect(body).toEqual({ outcome: 'already_active', orderId: id });
    expect(await findLiveProvisionJob(api.queue, id)).toBeNull();
    expect(await api.rawOrder(id)).toEqual(before);
  });

  it.each(['pending', 'cancelled'] as const)('%s → 409 not_provisionable', async (status) => {
    const id = await api.createOrder({ status });
    const before = await api.rawOrder(id);
    const res = await provision(id);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: 'not_provisionable', message: expect.any(String) });
    expect(await findLiveProvisionJob(api.queue, id)).toBeNull();
    expect(await api.rawOrder(id)).toEqual(before);
  });

  it('live job → 409 in_progress with jobId, state and the familiar message; no new job', async () => {
    const id = await api.createOrder({ status: 'paid' });
    const first = await provision(id);
    expect(first.status).toBe(202);
    const counts = await api.queue.getJobCounts('prioritized', 'waiting');
    const second = await provision(id);
    expect(second.status).toBe(409);
    expect(second.body).toEqual({ error: 'in_progress', message: expect.stringMatching(IN_PROGRESS_MESSAGE), jobId: first.body.jobId, state: 'waiting' });
    expect(await api.queue.getJobCounts('prioritized', 'waiting')).toEqual(counts);
  });

  it('failed, no job → 202 queued; the order is marked queued by admin', async () => {
    const id = await api.createOrder({ status: 'confirmed', provisioningStatus: 'failed', provisioningError: 'SmartVPS buyVps timeout', autoProvisioned: true });
    const { status, body } = await provision(id);
    expect(status).toBe(202);
    expect(body).toEqual({ outcome: 'queued', orderId: id, jobId: expect.any(String) });
    const live = await findLiveProvisionJob(api.queue, id);
    expect(live).toMatchObject({ id: body.jobId, state: 'waiting' });
    const job = await api.queue.getJob(String(body.jobId));
    expect(job?.data).toMatchObject({ orderId: id, reason: 'admin' });
    expect(await api.rawOrder(id)).toMatchObject({ provisioningStatus: 'queued', provisioningError: null, provisionReason: 'admin' });
  });

  it.each(['queued', 'provisioning'] as const)('stuck %s with no job → 202 at once', async (provisioningStatus) => {
    const id = await api.createOrder({ status: 'paid', provisioningStatus, autoProvisioned: true, lastProvisionAttempt: new Date() });
    const { status, body } = await provision(id);
    expect(status).toBe(202);
    expect(body).toMatchObject({ outcome: 'queued', orderId: id });
    expect(await findLiveProvisionJob(api.queue, id)).toMatchObject({ id: body.jobId });
  });

  it.each(['paid', 'confirmed'] as const)('%s with no status → 202 (first attempt)', async (status) => {
    const id = await api.createOrder({ status });
    const res = await provision(id);
    expect(res.status).toBe(202);
    expect(await api.rawOrder(id)).toMatchObject({ provisioningStatus: 'queued' });
  });

  it('100 concurrent requests for one failed order: one 202, 99 × 409 in_progress, one job', async () => {
    const id = await api.createOrder({ status: 'confirmed', provisioningStatus: 'failed', autoProvisioned: true });
    const before = await api.queue.getJobCounts('prioritized', 'waiting', 'delayed', 'active');
    const answers = await Promise.all(Array.from({ length: 100 }, () => provision(id)));
    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 409);
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(99);
    for (const r of refused) {
      expect(r.body).toMatchObject({ error: 'in_progress', jobId: accepted[0]?.body.jobId, state: 'waiting', message: expect.stringMatching(IN_PROGRESS_MESSAGE) });
    }
    const after = await api.queue.getJobCounts('prioritized', 'waiting', 'delayed', 'active');
    expect(after).toEqual({ ...before, prioritized: (before.prioritized ?? 0) + 1 });
    const jobs = await api.queue.getJobs(['prioritized', 'waiting', 'delayed', 'active']);
    expect(jobs.filter((job) => job.data.orderId === id)).toHaveLength(1);
  });
});
