import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { createProviderClients } from '../../src/providers';
import { startApiServer, type ApiServer } from '../../src/api/start-api';
import { requestProvision } from '../../src/provisioning/request-provision';
import type { Config } from '../../src/config';
import type { ProvisionQueue } from '../../src/queue/provision-queue';
import { usePipeline } from '../support/pipeline';
import { waitFor } from '../support/wait-for';

/**
 * The customer receives their server: the web app reveals the credentials the provider issued, once
 * provisioning wrote them; every reveal is recorded; callers are held to 30 a minute.
 */

const APP_TOKEN = 'web-app-token-for-reveal-tests-0123';
const ADMIN_TOKEN = 'admin-token-for-reveal-tests-0123';
const logger = createLogger({ level: 'silent' });
const p = usePipeline();
let config: Config;
let queue: ProvisionQueue;
let api: ApiServer;

beforeAll(async () => {
  config = p.config({ APP_TOKEN, ADMIN_TOKENS: `carol:${ADMIN_TOKEN}` });
  queue = p.queue(config);
  api = p.env.track(await startApiServer({ config, db: p.db, queue, redis: p.redis, logger, metrics: createMetrics(), host: '127.0.0.1', port: 0 }));
});

const reveal = (orderId: string, token: string) =>
  fetch(`${api.url}/api/orders/${orderId}/credentials/reveal`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

it('reveals the credentials the provider issued, with no-store, and records who revealed them', async () => {
  await p.startWorker(config);
  const orderId = await p.createOrder({ provider: 'hostycare', packageName: null });
  // Not active yet: nothing to reveal.
  expect((await reveal(orderId, APP_TOKEN)).status).toBe(404);
  await requestProvision({ orders: p.db.orderState, queue, logger }, orderId, 'payment');
  await waitFor(async () => (await p.order(orderId)).provisioningStatus === 'active', { message: 'order active' });

  const answer = await reveal(orderId, APP_TOKEN);
  expect(answer.status).toBe(200);
  expect(answer.headers.get('cache-control')).toBe('no-store');
  const credentials = (await answer.json()) as { username: string; password: string };
  // What the provider itself says it issued, asked through its API.
  const purchase = await createProviderClients(config.providers).hostycare.findPurchase(orderId);
  expect(credentials).toEqual(purchase?.credentials);

  // The view never shows them; the audit log shows who revealed them and when.
  const view = await (await fetch(`${api.url}/api/orders/${orderId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
  expect(view).not.toContain(credentials.password);
  const audit = (await (await fetch(`${api.url}/api/audit?orderId=${orderId}&action=credentials_reveal`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as {
    events: { actor: string; at: string; outcome: string }[];
  };
  expect(audit.events).toEqual([expect.objectContaining({ actor: 'app', outcome: 'revealed', at: expect.any(String) })]);
  expect(JSON.stringify(audit)).not.toContain(credentials.password);
});

it('refuses the 31st reveal of a minute by one caller with 429 and Retry-After; another caller is not held up', async () => {
  const orderId = await p.createOrder({ provider: 'hostycare', packageName: null });
  const statuses = await Promise.all(Array.from({ length: 31 }, () => reveal(orderId, APP_TOKEN).then(async (res) => (await res.body?.cancel(), res.status))));
  // 404s (no credentials) count as reveals too: the limit is on asking.
  expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(1);
  const limited = await reveal(orderId, APP_TOKEN);
  expect(limited.status).toBe(429);
  expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(await limited.json()).toMatchObject({ error: 'too_many_requests' });
  expect((await reveal(orderId, ADMIN_TOKEN)).status).toBe(404);
});
