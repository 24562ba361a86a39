import { useApi } from './api-harness';
import { waitFor } from '../support/wait-for';

/** An API (re)started while Redis is down: it must not wait for Redis to answer its requests. */
const api = useApi({ redisDownAtStart: true });

it('answers 503 queue_unavailable at once while Redis is down, and takes the request once Redis is back', async () => {
  const orderId = await api.createOrder({ status: 'confirmed', provisioningStatus: 'failed', provisioningError: 'boom', autoProvisioned: true });
  const path = `/api/orders/${orderId}/provision`;
  // A request left waiting on Redis would hang here; the signal turns that into a clear failure.
  const started = Date.now();
  const refused = await api.json(path, { method: 'POST', signal: AbortSignal.timeout(10_000) });
  expect(Date.now() - started).toBeLessThan(3_000);
  expect(refused).toMatchObject({ status: 503, body: { error: 'queue_unavailable' } });
  expect(await api.json(`/api/orders/${orderId}`, { signal: AbortSignal.timeout(10_000) })).toMatchObject({ status: 503, body: { error: 'queue_unavailable' } });

  await api.env.redis.restart();
  const taken = await waitFor(
    async () => {
      const res = await api.json(path, { method: 'POST', signal: AbortSignal.timeout(10_000) });
      return res.status === 503 ? null : res;
    },
    { timeoutMs: 15_000, intervalMs: 200, message: 'the provision request taken once Redis is back' },
  );
  expect(taken).toMatchObject({ status: 202, body: { outcome: 'queued', orderId } });
  expect(await api.queue.getJob(taken.body.jobId as string)).toBeDefined();
});
