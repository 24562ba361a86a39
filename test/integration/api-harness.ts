import type { Redis } from 'ioredis';
import { Types } from 'mongoose';
import { Webhook } from 'standardwebhooks';
import { startApiServer, type ApiServer } from '../../src/api/start-api';
import { loadConfig, type Config } from '../../src/config';
import { connectDatabase, type Database } from '../../src/db/connection';
import type { Order } from '../../src/db/order-model';
import { createLogger } from '../../src/observability/logger';
import { createMetrics, type Metrics } from '../../src/observability/metrics';
import { createProvisionQueue, type ProvisionQueue } from '../../src/queue/provision-queue';
import { createRedis } from '../../src/queue/redis';
import { useIntegrationEnv, type IntegrationEnv } from '../support/integration';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
/** Named admins beside the lone ADMIN_TOKEN (who is `admin`), and the web app's token. */
export const ALICE_TOKEN = 'alice-admin-token-0123456789';
export const BOB_TOKEN = 'bob-admin-token-0123456789ab';
export const APP_TOKEN = 'web-app-token-0123456789abcd';
export const WEBHOOK_SECRET = 'whsec_dGVzdC13ZWJob29rLXNlY3JldC1mb3ItYXBpLXRlc3Rz';

export type RequestOptions = RequestInit & { auth?: boolean; token?: string };

export interface ApiHarness {
  env: IntegrationEnv;
  config: Config;
  db: Database;
  redis: Redis;
  queue: ProvisionQueue;
  metrics: Metrics;
  api: ApiServer;
  /** `fetch` against the API with a Bearer token (the admin's unless `token` says); `auth: false` sends none. */
  request(path: string, init?: RequestOptions): Promise<Response>;
  /** A fetch plus its JSON body. */
  json<T = Record<string, unknown>>(path: string, init?: RequestOptions): Promise<{ status: number; body: T; res: Response }>;
  createOrder(fields?: Partial<Order>): Promise<string>;
  /** The order as stored, with its secret fields, for before/after comparisons. */
  rawOrder(orderId: string): Promise<Record<string, unknown> | null>;
  /** Signs and delivers a payment webhook. */
  deliverWebhook(body: unknown, options?: { id?: string; at?: Date; signature?: string; headers?: Record<string, string> }): Promise<Response>;
}

/**
 * Per test file: a private Redis and MongoDB (useIntegrationEnv), a provision queue with a unique
 * prefix, and the real API listening on a free port. No worker runs, so jobs stay `waiting`.
 */
export function useApi(): ApiHarness {
  const env = useIntegrationEnv();
  const harness = { env } as ApiHarness;
  const webhook = new Webhook(WEBHOOK_SECRET);

  beforeAll(async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      ADMIN_TOKEN,
      ADMIN_TOKENS: `alice:${ALICE_TOKEN},bob:${BOB_TOKEN}`,
      APP_TOKEN,
      WEBHOOK_SECRET,
      LOG_LEVEL: 'silent',
    });
    const db = env.track(await connectDatabase(env.mongoUrl));
    // A short disconnectTimeout: after Redis was stopped, ioredis arms a 2 s timer on disconnect that
    // nothing clears, which only delays the test process's exit.
    const redis = createRedis(env.redisUrl, 'api', { disconnectTimeout: 100 });
    env.track({ close: () => redis.quit().catch(() => redis.disconnect()) });
    const queue = createProvisionQueue({ connection: redis, prefix: env.uniqueName('{test}'), attempts: config.worker.attempts });
    queue.on('error', () => undefined);
    env.track(queue);
    const metrics = createMetrics();
    const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'silent', name: 'api-test' });
    const api = env.track(await startApiServer({ config, db, queue, redis, logger, metrics, host: '127.0.0.1', port: 0 }));
    Object.assign(harness, { config, db, redis, queue, metrics, api });
  });

  harness.request = (path, { auth = true, token = ADMIN_TOKEN, headers, ...init } = {}) =>
    fetch(`${harness.api.url}${path}`, {
      ...init,
      headers: { ...(auth ? { authorization: `Bearer ${token}` } : {}), ...(headers as Record<string, string> | undefined) },
    });

  harness.json = async <T>(path: string, init?: RequestOptions) => {
    const res = await harness.request(path, init);
    const text = await res.text();
    let body: T;
    try {
      body = JSON.parse(text) as T;
    } catch {
      throw new Error(`${init?.method ?? 'GET'} ${path} answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
    }
    return { status: res.status, body, res };
  };

  harness.createOrder = async (fields = {}) => {
    const order = await harness.db.orders.create({
      status: 'paid',
      provider: 'smartvps',
      os: 'ubuntu-22.04',
      plan: '4gb',
      packageName: '103.101',
      ...fields,
    });
    return order._id.toString();
  };

  harness.rawOrder = async (orderId) => harness.db.orders.collection.findOne({ _id: new Types.ObjectId(orderId) });

  harness.deliverWebhook = (body, { id = `msg_${new Types.ObjectId().toString()}`, at = new Date(), signature, headers = {} } = {}) => {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    return fetch(`${harness.api.url}/api/webhooks/payments`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signature ?? webhook.sign(id, at, payload),
        ...headers,
      },
      body: payload,
    });
  };

  return harness;
}

/** A fresh ObjectId string that names no order. */
export const unknownId = (): string => new Types.ObjectId().toString();

export const IN_PROGRESS_MESSAGE = /^Order is currently being provisioned by another process \(started \d+s ago\)\. Please wait\.$/;
