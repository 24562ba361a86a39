import { METRIC } from '../../src/observability/metrics';
import { useApi } from './api-harness';

const api = useApi();

describe('with Redis down', () => {
  let failedOrder: string;
  let pendingOrder: string;

  beforeAll(async () => {
    failedOrder = await api.createOrder({ status: 'confirmed', provisioningStatus: 'failed', provisioningError: 'boom', autoProvisioned: true });
    pendingOrder = await api.createOrder({ status: 'pending' });
    await api.env.redis.stop();
  });

  it('POST provision answers 503 queue_unavailable quickly and leaves the order unchanged', async () => {
    const before = await api.rawOrder(failedOrder);
    const started = Date.now();
    const { status, body } = await api.json(`/api/orders/${failedOrder}/provision`, { method: 'POST' });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(status).toBe(503);
    expect(body).toMatchObject({ error: 'queue_unavailable', message: expect.any(String) });
    expect(body).not.toHaveProperty('details');
    expect(await api.rawOrder(failedOrder)).toEqual(before);
  });

  it('order views answer 503 queue_unavailable (job states cannot be read)', async () => {
    const { status, body } = await api.json(`/api/orders/${failedOrder}`);
    expect(status).toBe(503);
    expect(body).toMatchObject({ error: 'queue_unavailable' });
  });

  it('a payment webhook is still accepted and recorded durably for the sweeper', async () => {
    const res = await api.deliverWebhook({ type: 'payment.succeeded', data: { orderId: pendingOrder } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, duplicate: false });
    expect(await api.rawOrder(pendingOrder)).toMatchObject({ status: 'paid', provisioningStatus: 'queued', provisionReason: 'payment', autoProvisioned: true });
  });

  it('/readyz answers 503 naming redis; /healthz and /metrics still answer', async () => {
    const started = Date.now();
    expect(await api.json('/readyz', { auth: false })).toMatchObject({ status: 503, body: { status: 'unavailable', mongo: 'ok', redis: 'down' } });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await api.json('/healthz', { auth: false })).toMatchObject({ status: 200, body: { status: 'ok' } });
    const metrics = await api.request('/metrics', { auth: false });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain(METRIC.queueDepth);
  });
});
