import { Webhook } from 'standardwebhooks';
import { startApiServer, type ApiServer } from '../../src/api/start-api';
import { loadConfig } from '../../src/config';
import { connectDatabase, type Database } from '../../src/db/connection';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../dev/mongo';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { createProvisionQueue } from '../../src/queue/provision-queue';
import { createRedis } from '../../src/queue/redis';
import { useIntegrationEnv } from '../support/integration';
import { ADMIN_TOKEN, unknownId, WEBHOOK_SECRET } from './api-harness';

// Its own embedded MongoDB (even when MONGO_URL is set), so the test can stop it.
const env = useIntegrationEnv({ mongo: false });
let mongo: EmbeddedMongo;
let db: Database;
let api: ApiServer;

beforeAll(async () => {
  mongo = await startEmbeddedMongo();
  db = env.track(await connectDatabase(`${mongo.uri}vps_mongo_down`, { serverSelectionTimeoutMS: 1_000 }));
  const redis = createRedis(env.redisUrl, 'api');
  env.track({ close: () => redis.quit() });
  const queue = env.track(createProvisionQueue({ connection: redis, prefix: env.uniqueName('{test}'), attempts: 4 }));
  const config = loadConfig({ NODE_ENV: 'test', ADMIN_TOKEN, WEBHOOK_SECRET });
  api = env.track(await startApiServer({ config, db, queue, redis, logger: createLogger({ level: 'silent' }), metrics: createMetrics(), host: '127.0.0.1', port: 0 }));
  await mongo.stop();
});

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${api.url}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.headers as Record<string, string>) } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('with MongoDB down', () => {
  it.each([
    ['GET', '/api/orders'],
    ['GET', `/api/orders/${unknownId()}`],
    ['POST', `/api/orders/${unknownId()}/provision`],
  ])('%s %s → 503 database_unavailable', async (method, path) => {
    const { status, body } = await call(path, { method });
    expect(status).toBe(503);
    expect(body).toEqual({ error: 'database_unavailable', message: expect.any(String) });
  });

  it('a payment webhook → 503, so the sender delivers it again', async () => {
    const payload = JSON.stringify({ type: 'payment.succeeded', data: { orderId: unknownId() } });
    const at = new Date();
    const { status, body } = await call('/api/webhooks/payments', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'msg_mongo_down',
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(WEBHOOK_SECRET).sign('msg_mongo_down', at, payload),
      },
      body: payload,
    });
    expect(status).toBe(503);
    expect(body).toMatchObject({ error: 'database_unavailable' });
  });

  it('/readyz → 503 naming mongo', async () => {
    expect(await call('/readyz')).toEqual({ status: 503, body: { status: 'unavailable', mongo: 'down', redis: 'ok' } });
  });
});
