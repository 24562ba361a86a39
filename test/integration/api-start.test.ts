/**
 * The API's start-up against a Redis that is down or slow to answer (a TCP proxy in front of the test's
 * Redis refuses, or holds, connections): requests must neither hang nor meet a connection still opening.
 */
import { startApiServer, type ApiServer } from '../../src/api/start-api';
import { loadConfig } from '../../src/config';
import { connectDatabase, type Database } from '../../src/db/connection';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { createProvisionQueue, type ProvisionQueue } from '../../src/queue/provision-queue';
import { createRedis } from '../../src/queue/redis';
import { useIntegrationEnv } from '../support/integration';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait-for';
import { ADMIN_TOKEN } from './api-harness';

const env = useIntegrationEnv();
let db: Database;

beforeAll(async () => {
  db = env.track(await connectDatabase(env.mongoUrl));
});

/** A Redis proxy for one test, and an API whose Redis goes through it. */
async function proxiedRedis(): Promise<TcpProxy> {
  const { port } = new URL(env.redisUrl);
  return env.track(await startTcpProxy({ host: '127.0.0.1', port: Number(port) }));
}

async function startApi(proxy: TcpProxy): Promise<{ api: ApiServer; queue: ProvisionQueue }> {
  const redis = createRedis(`redis://${proxy.host}:${proxy.port}`, 'api', { disconnectTimeout: 100 });
  env.track({ close: () => redis.quit().catch(() => redis.disconnect()) });
  const queue = env.track(createProvisionQueue({ connection: redis, prefix: env.uniqueName('{test}'), attempts: 4 }));
  queue.on('error', () => undefined);
  const config = loadConfig({ NODE_ENV: 'test', ADMIN_TOKEN, LOG_LEVEL: 'silent' });
  const api = env.track(await startApiServer({ config, db, queue, redis, logger: createLogger({ level: 'silent' }), metrics: createMetrics(), host: '127.0.0.1', port: 0 }));
  return { api, queue };
}

async function failedOrder(): Promise<string> {
  const order = await db.orders.create({ status: 'confirmed', provider: 'smartvps', os: 'ubuntu-22.04', plan: '4gb', packageName: '103.101', provisioningStatus: 'failed', provisioningError: 'boom', autoProvisioned: true });
  return order._id.toString();
}

/** POST …/provision; a request left waiting on Redis fails the test through the signal instead of hanging it. */
async function retry(api: ApiServer, orderId: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${api.url}/api/orders/${orderId}/provision`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

it('started while Redis is down, it answers 503 queue_unavailable at once, and takes the request once Redis is back', async () => {
  const proxy = await proxiedRedis();
  await proxy.refuse();
  const { api, queue } = await startApi(proxy);
  const orderId = await failedOrder();

  const started = Date.now();
  expect(await retry(api, orderId)).toMatchObject({ status: 503, body: { error: 'queue_unavailable' } });
  expect(Date.now() - started).toBeLessThan(3_000);
  const view = await fetch(`${api.url}/api/orders/${orderId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(10_000) });
  expect(view.status).toBe(503);

  await proxy.forward();
  const taken = await waitFor(async () => {
    const answer = await retry(api, orderId);
    return answer.status === 503 ? null : answer;
  }, { timeoutMs: 15_000, intervalMs: 200, message: 'the provision request taken once Redis is back' });
  expect(taken).toMatchObject({ status: 202, body: { outcome: 'queued', orderId } });
  expect(await queue.getJob(taken.body.jobId as string)).toBeDefined();
});

it('started while Redis is slow to answer, its first request finds the connection open', async () => {
  const proxy = await proxiedRedis();
  proxy.hang();
  const starting = startApi(proxy);
  // Redis answers a moment later, well within the start-up's wait.
  setTimeout(() => void proxy.forward(), 300);
  const { api } = await starting;

  expect(await retry(api, await failedOrder())).toMatchObject({ status: 202, body: { outcome: 'queued' } });
});
