import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { createLogger } from '../../src/observability/logger';
import { requestProvision } from '../../src/provisioning/request-provision';
import { usePipeline } from '../support/pipeline';
import { waitFor } from '../support/wait-for';

/**
 * Order events to the web app, end to end: recorded with the change, delivered signed, retried while
 * the receiver is down, deduplicated by webhook-id, and sent again after Redis lost the delivery jobs.
 */

const EVENTS_SECRET = 'whsec_ZXZlbnRzLXNlY3JldC1mb3ItdGhlLXdlYi1hcHAtdGVzdHM=';
const logger = createLogger({ level: 'silent' });
const p = usePipeline();

interface Delivery {
  id: string;
  status: number;
  valid: boolean;
  body: { type: string; data: { orderId: string; sequence: number; ipAddress?: string; error?: string; provider: string } };
}

let receiver: Server;
let eventsUrl: string;
let deliveries: Delivery[];
let up = false;

beforeAll(async () => {
  const webhook = new Webhook(EVENTS_SECRET);
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      let valid = true;
      try {
        webhook.verify(body, req.headers as Record<string, string>);
      } catch {
        valid = false;
      }
      const status = up ? 204 : 503;
      deliveries.push({ id: String(req.headers['webhook-id']), status, valid, body: JSON.parse(body) as Delivery['body'] });
      res.writeHead(status).end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  eventsUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`;
  p.env.track({ close: () => new Promise<void>((resolve) => receiver.close(() => resolve())) });
});

beforeEach(() => {
  deliveries = [];
  up = false;
  p.simulator.reset();
  p.simulator.setFaults({ ipDelayMs: 50 });
});

const eventSettings = () => ({ EVENTS_URL: eventsUrl, EVENTS_SECRET, EVENTS_RETRY_FOR_MS: '20000', SWEEP_INTERVAL_MS: '300' });

/** The deliveries that were accepted, one per webhook-id. */
const accepted = () => new Map(deliveries.filter((d) => d.status === 204).map((d) => [d.id, d]));

it('with the receiver down, then up, every event arrives signed, once per settled order, keeping its webhook-id; none for other orders', async () => {
  const config = p.config(eventSettings());
  const queue = p.queue(config);
  await p.startWorker(config);
  const actives = await Promise.all(Array.from({ length: 4 }, () => p.createOrder({ provider: 'hostycare', packageName: null })));
  // A SmartVPS order with no package fails at once (order.failed); a cancelled one is skipped (no event).
  const failing = await Promise.all(Array.from({ length: 2 }, () => p.createOrder({ provider: 'smartvps', packageName: null })));
  const skipped = await p.createOrder({ provisioningStatus: 'failed' });
  for (const id of [...actives, ...failing, skipped]) await requestProvision({ orders: p.db.orderState, queue, logger }, id, 'payment');
  await p.db.orders.updateOne({ _id: skipped }, { $set: { status: 'cancelled' } });

  await waitFor(async () => (await p.db.orders.countDocuments({ _id: { $in: [...actives, ...failing] }, provisioningStatus: { $in: ['active', 'failed'] } })) === 6, { message: 'orders settled' });
  // Down: deliveries are tried and refused, more than once for some.
  await waitFor(() => new Set(deliveries.map((d) => d.id)).size === 6 && deliveries.length > 6, { message: 'deliveries retried while the receiver is down' });
  const triedWhileDown = new Set(deliveries.map((d) => d.id));
  up = true;
  await waitFor(() => accepted().size === 6, { timeoutMs: 15_000, message: 'every event delivered' });

  const events = [...accepted().values()];
  expect(events.every((d) => d.valid)).toBe(true);
  expect(new Set(events.map((d) => d.id))).toEqual(triedWhileDown);
  expect(events.filter((d) => d.body.type === 'order.provisioned').map((d) => d.body.data.orderId).sort()).toEqual([...actives].sort());
  expect(events.filter((d) => d.body.type === 'order.failed').map((d) => d.body.data.orderId).sort()).toEqual([...failing].sort());
  expect(deliveries.some((d) => d.body.data.orderId === skipped)).toBe(false);
  for (const d of events) {
    expect(d.id).toBe(`evt_${d.body.data.orderId}_${d.body.data.sequence}`);
    expect(JSON.stringify(d.body)).not.toMatch(/password|username|credential/i);
  }
  expect(events.find((d) => d.body.type === 'order.provisioned')?.body.data).toMatchObject({ provider: 'hostycare', ipAddress: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/) });
  // Delivered events leave the outbox.
  await waitFor(async () => (await p.db.orders.countDocuments({ 'outbox.0': { $exists: true } })) === 0, { message: 'outboxes empty' });
}, 40_000);

it('with Redis restarted empty while events are pending, they still arrive', async () => {
  const config = p.config(eventSettings());
  const queue = p.queue(config);
  await p.startWorker(config, { sweeper: true });
  const ids = await Promise.all(Array.from({ length: 3 }, () => p.createOrder({ provider: 'hostycare', packageName: null })));
  for (const id of ids) await requestProvision({ orders: p.db.orderState, queue, logger }, id, 'payment');
  await waitFor(() => new Set(deliveries.map((d) => d.id)).size === 3, { message: 'deliveries tried' });

  // Redis loses everything, the delivery jobs included.
  await p.env.redis.stop();
  await p.env.redis.restart();
  up = true;
  await waitFor(() => accepted().size === 3, { timeoutMs: 20_000, message: 'events sent again by the sweeper and delivered' });
  expect([...accepted().values()].map((d) => d.body.data.orderId).sort()).toEqual([...ids].sort());
}, 40_000);
