import { Types } from 'mongoose';
import { Webhook } from 'standardwebhooks';
import { findLiveProvisionJob } from '../../src/queue/provision-queue';
import { unknownId, useApi, WEBHOOK_SECRET } from './api-harness';

const api = useApi();

const paymentFor = (orderId: string) => ({
  type: 'payment.succeeded',
  timestamp: new Date().toISOString(),
  data: { orderId, amount: 1299, currency: 'USD' },
});

async function eventsCount(): Promise<number> {
  return api.db.webhookEvents.countDocuments({});
}

async function answer(res: Response): Promise<{ status: number; body: Record<string, unknown> }> {
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('POST /api/webhooks/payments', () => {
  it('marks a pending order paid, records the request durably, then enqueues the first attempt', async () => {
    const id = await api.createOrder({ status: 'pending' });
    const { status, body } = await answer(await api.deliverWebhook(paymentFor(id), { id: 'msg_first' }));
    expect(status).toBe(200);
    expect(body).toEqual({ received: true, duplicate: false });
    const order = await api.rawOrder(id);
    expect(order).toMatchObject({ status: 'paid', autoProvisioned: true, provisioningStatus: 'queued', provisionReason: 'payment' });
    expect(order?.paidAt).toBeInstanceOf(Date);
    expect(order?.provisionRequestedAt).toBeInstanceOf(Date);
    const live = await findLiveProvisionJob(api.queue, id);
    expect(live).toMatchObject({ state: 'waiting' });
    expect((await api.queue.getJob(live?.id ?? ''))?.data).toMatchObject({ orderId: id, reason: 'payment' });
    expect(await api.db.webhookEvents.findOne({ webhookId: 'msg_first' }).lean()).toMatchObject({ orderId: id, outcome: 'processed', type: 'payment.succeeded' });

    // A replay changes nothing.
    const replay = await answer(await api.deliverWebhook(paymentFor(id), { id: 'msg_first' }));
    expect(replay).toEqual({ status: 200, body: { received: true, duplicate: true } });
    expect(await api.rawOrder(id)).toEqual(order);
  });

  it('one delivery 50 times at once: one job, the order paid and queued, 49 duplicates', async () => {
    const id = await api.createOrder({ status: 'pending' });
    const before = await api.queue.getJobCounts('prioritized');
    const body = JSON.stringify(paymentFor(id));
    const answers = await Promise.all(Array.from({ length: 50 }, async () => answer(await api.deliverWebhook(body, { id: 'msg_concurrent' }))));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1);
    expect(answers.filter((a) => a.body.duplicate === true)).toHaveLength(49);
    // New jobs wait in the prioritized set (a started job goes ahead of them: see provision-queue.ts).
    expect(await api.queue.getJobCounts('prioritized')).toEqual({ prioritized: (before.prioritized ?? 0) + 1 });
    const jobs = await api.queue.getJobs(['prioritized', 'waiting', 'delayed', 'active']);
    expect(jobs.filter((job) => job.data.orderId === id)).toHaveLength(1);
    expect(await api.rawOrder(id)).toMatchObject({ status: 'paid', provisioningStatus: 'queued', autoProvisioned: true });
    expect(await api.db.webhookEvents.countDocuments({ webhookId: 'msg_concurrent' })).toBe(1);
  });

  it('a paid order without a status is provisioned; a failed one waits for the admin', async () => {
    const fresh = await api.createOrder({ status: 'confirmed', autoProvisioned: false });
    expect((await api.deliverWebhook(paymentFor(fresh))).status).toBe(200);
    expect(await api.rawOrder(fresh)).toMatchObject({ status: 'confirmed', provisioningStatus: 'queued', autoProvisioned: true });
    expect(await findLiveProvisionJob(api.queue, fresh)).not.toBeNull();

    const failed = await api.createOrder({ status: 'confirmed', provisioningStatus: 'failed', provisioningError: 'boom', autoProvisioned: true });
    const before = await api.rawOrder(failed);
    expect(await answer(await api.deliverWebhook(paymentFor(failed)))).toEqual({ status: 200, body: { received: true, duplicate: false } });
    expect(await api.rawOrder(failed)).toEqual(before);
    expect(await findLiveProvisionJob(api.queue, failed)).toBeNull();
  });

  it('an active order is not enqueued again', async () => {
    const id = await api.createOrder({ status: 'active', provisioningStatus: 'active', ipAddress: '10.1.1.1', autoProvisioned: true });
    const before = await api.rawOrder(id);
    expect((await api.deliverWebhook(paymentFor(id))).status).toBe(200);
    expect(await api.rawOrder(id)).toEqual(before);
    expect(await findLiveProvisionJob(api.queue, id)).toBeNull();
  });

  it('unknown order → 200 ignored, recorded', async () => {
    const { status, body } = await answer(await api.deliverWebhook(paymentFor(unknownId()), { id: 'msg_unknown' }));
    expect(status).toBe(200);
    expect(body).toEqual({ received: true, duplicate: false, ignored: 'unknown_order' });
    expect(await api.db.webhookEvents.findOne({ webhookId: 'msg_unknown' }).lean()).toMatchObject({ outcome: 'ignored' });
    expect(await answer(await api.deliverWebhook(paymentFor(unknownId()), { id: 'msg_unknown' }))).toEqual({
      status: 200,
      body: { received: true, duplicate: true },
    });
  });

  it('a payment ignored while its order was unknown, delivered again once the order exists: applied once, recorded and audited', async () => {
    const id = unknownId();
    expect((await answer(await api.deliverWebhook(paymentFor(id), { id: 'msg_early' }))).body).toEqual({ received: true, duplicate: false, ignored: 'unknown_order' });
    await api.createOrder({ _id: new Types.ObjectId(id), status: 'pending' });
    expect(await answer(await api.deliverWebhook(paymentFor(id), { id: 'msg_early' }))).toEqual({ status: 200, body: { received: true, duplicate: false } });
    expect(await api.rawOrder(id)).toMatchObject({ status: 'paid', autoProvisioned: true, provisioningStatus: 'queued' });
    expect(await findLiveProvisionJob(api.queue, id)).not.toBeNull();
    expect(await api.db.webhookEvents.findOne({ webhookId: 'msg_early' }).lean()).toMatchObject({ orderId: id, outcome: 'processed' });
    expect(await api.db.auditEvents.find({ orderId: id, action: 'payment' }).sort({ _id: 1 }).lean()).toMatchObject([{ outcome: 'ignored_unknown_order' }, { outcome: 'queued' }]);
    // From then on, a replay changes nothing.
    const order = await api.rawOrder(id);
    expect(await answer(await api.deliverWebhook(paymentFor(id), { id: 'msg_early' }))).toEqual({ status: 200, body: { received: true, duplicate: true } });
    expect(await api.rawOrder(id)).toEqual(order);
  });

  it('cancelled order → 200 ignored, the order untouched', async () => {
    const id = await api.createOrder({ status: 'cancelled' });
    const before = await api.rawOrder(id);
    const { status, body } = await answer(await api.deliverWebhook(paymentFor(id)));
    expect(status).toBe(200);
    expect(body).toEqual({ received: true, duplicate: false, ignored: 'order_cancelled' });
    expect(await api.rawOrder(id)).toEqual(before);
  });

  it('other event types → 200 ignored', async () => {
    const { status, body } = await answer(await api.deliverWebhook({ type: 'payment.refunded', data: { orderId: unknownId() } }));
    expect(status).toBe(200);
    expect(body).toEqual({ received: true, duplicate: false, ignored: 'unsupported_event' });
  });

  describe('rejected deliveries change nothing', () => {
    let orderId: string;
    let before: Record<string, unknown> | null;
    let events: number;

    beforeEach(async () => {
      orderId = await api.createOrder({ status: 'pending' });
      before = await api.rawOrder(orderId);
      events = await eventsCount();
    });

    afterEach(async () => {
      expect(await api.rawOrder(orderId)).toEqual(before);
      expect(await eventsCount()).toBe(events);
      expect(await findLiveProvisionJob(api.queue, orderId)).toBeNull();
    });

    it('bad signature → 401 invalid_signature', async () => {
      const { status, body } = await answer(await api.deliverWebhook(paymentFor(orderId), { signature: 'v1,bm90IGEgc2lnbmF0dXJl' }));
      expect(status).toBe(401);
      expect(body).toMatchObject({ error: 'invalid_signature', message: expect.any(String) });
    });

    it('signed with another secret → 401', async () => {
      const other = new Webhook('whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldC0xMjM0NTY=');
      const payload = JSON.stringify(paymentFor(orderId));
      const now = new Date();
      const res = await api.deliverWebhook(payload, { id: 'msg_other', at: now, signature: other.sign('msg_other', now, payload) });
      expect(res.status).toBe(401);
    });

    it('a tampered body → 401', async () => {
      const at = new Date();
      const signed = JSON.stringify(paymentFor(unknownId()));
      const signature = new Webhook(WEBHOOK_SECRET).sign('msg_tamper', at, signed);
      const res = await api.deliverWebhook(paymentFor(orderId), { id: 'msg_tamper', at, signature });
      expect(res.status).toBe(401);
    });

    it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])('missing %s → 401', async (header) => {
      const payload = JSON.stringify(paymentFor(orderId));
      const at = new Date();
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'webhook-id': 'msg_missing',
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(WEBHOOK_SECRET).sign('msg_missing', at, payload),
      };
      delete headers[header];
      const res = await fetch(`${api.api.url}/api/webhooks/payments`, { method: 'POST', headers, body: payload });
      const { status, body } = await answer(res);
      expect(status).toBe(401);
      expect(body).toMatchObject({ error: 'invalid_signature' });
    });

    it('a timestamp 10 minutes old → 401 (correctly signed)', async () => {
      const res = await api.deliverWebhook(paymentFor(orderId), { at: new Date(Date.now() - 10 * 60_000) });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'invalid_signature' });
    });

    it('a timestamp 10 minutes ahead → 401', async () => {
      const res = await api.deliverWebhook(paymentFor(orderId), { at: new Date(Date.now() + 10 * 60_000) });
      expect(res.status).toBe(401);
    });

    it('signed invalid JSON → 400 invalid_json', async () => {
      const { status, body } = await answer(await api.deliverWebhook('{"type": "payment.succeeded", '));
      expect(status).toBe(400);
      expect(body).toMatchObject({ error: 'invalid_json' });
    });

    it.each([
      ['a malformed order id', { type: 'payment.succeeded', data: { orderId: 'nope' } }],
      ['no data', { type: 'payment.succeeded' }],
      ['a string amount', { type: 'payment.succeeded', data: { orderId: new Types.ObjectId().toString(), amount: '12' } }],
      ['no type', { data: {} }],
      ['an array', [1, 2]],
    ])('signed, %s → 400 invalid_request with details', async (_name, event) => {
      const { status, body } = await answer(await api.deliverWebhook(event));
      expect(status).toBe(400);
      expect(body).toMatchObject({ error: 'invalid_request', message: expect.any(String), details: expect.any(Array) });
    });

    it('a body over 100 kB → 413', async () => {
      const big = JSON.stringify({ ...paymentFor(orderId), padding: 'x'.repeat(200_000) });
      const { status, body } = await answer(await api.deliverWebhook(big));
      expect(status).toBe(413);
      expect(body).toMatchObject({ error: 'payload_too_large' });
    });
  });
});
