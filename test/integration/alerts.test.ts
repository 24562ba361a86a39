import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { createAlerts, sweeperLastRunKey, watchSweeper, type Alerts } from '../../src/alerts/alerts';
import { createLogger } from '../../src/observability/logger';
import { useIntegrationEnv } from '../support/integration';
import { waitFor } from '../support/wait-for';

/** Alerts against a local Slack-compatible receiver, batched across two "processes" sharing Redis. */

const env = useIntegrationEnv({ mongo: false });
const logger = createLogger({ level: 'silent' });
let redis: Redis;
let receiver: Server;
let url: string;
let received: string[];
let answerWith = 200;

beforeAll(async () => {
  redis = new Redis(env.redisUrl);
  env.track({ close: () => redis.quit() });
  receiver = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (answerWith === 200) received.push((JSON.parse(body) as { text: string }).text);
      res.writeHead(answerWith).end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  env.track({ close: () => new Promise<void>((resolve) => receiver.close(() => resolve())) });
});

beforeEach(() => {
  received = [];
  answerWith = 200;
});

function twoProcesses(prefix: string, intervalMs: number): [Alerts, Alerts] {
  const make = () => env.track(createAlerts({ redis, prefix, url, publicUrl: 'https://ops.example', logger, intervalMs, checkEveryMs: 20 }));
  return [make(), make()];
}

it('posts at most one message per kind per interval across processes, with the count and links to the admin page', async () => {
  const [a, b] = twoProcesses(`{${env.uniqueName('alerts')}}`, 1_000);
  for (let i = 0; i < 5; i += 1) a.note('failed', { orderId: `a${i}`.padEnd(24, '0'), text: 'HTTP 422 out of stock' });
  for (let i = 0; i < 3; i += 1) b.note('failed', { orderId: `b${i}`.padEnd(24, '0'), text: 'HTTP 422 out of stock' });
  b.note('stuck', { orderId: 'c'.padEnd(24, '0'), text: 'was queued with no job; enqueued again' });
  await waitFor(() => received.length === 2, { message: 'one message per kind' });
  const failed = received.find((text) => text.includes('failed for good')) as string;
  expect(failed).toContain('8 orders failed for good');
  expect(failed).toContain(`<https://ops.example/admin?order=${'a0'.padEnd(24, '0')}|${'a0'.padEnd(24, '0')}>`);
  expect(received.find((text) => text.includes('stuck'))).toContain('1 order was found stuck');

  // More within the same interval waits for the next one: a single message then, with the new count.
  a.note('failed', { orderId: 'd'.padEnd(24, '0'), text: 'HTTP 503' });
  b.note('failed', { orderId: 'e'.padEnd(24, '0'), text: 'HTTP 503' });
  await a.flush();
  await b.flush();
  expect(received).toHaveLength(2);
  await waitFor(() => received.length === 3, { timeoutMs: 5_000, message: 'the next interval’s message' });
  expect(received[2]).toContain('2 orders failed for good');
});

it('a failing endpoint neither throws nor holds anything up; its items go out with the next interval', async () => {
  const [a] = twoProcesses(`{${env.uniqueName('alerts')}}`, 300);
  answerWith = 500;
  // Nothing to wait for: noting returns at once (no promise), whatever the endpoint does. (Not timed: a
  // stopwatch here failed on a busy machine.)
  expect(a.note('failed', { orderId: 'f'.padEnd(24, '0'), text: 'HTTP 422' }) as unknown).toBeUndefined();
  await waitFor(async () => (await redis.keys('*alerts:failed:sent')).length > 0, { message: 'a post was tried' });
  answerWith = 200;
  await waitFor(() => received.length === 1, { timeoutMs: 5_000, message: 'the kept item is posted' });
  expect(received[0]).toContain('1 order failed for good');
});

it('alerts when the recovery sweeper has not run for three intervals', async () => {
  const prefix = `{${env.uniqueName('alerts')}}`;
  const [a] = twoProcesses(prefix, 200);
  await redis.set(sweeperLastRunKey(prefix), String(Date.now() - 10_000));
  const watch = watchSweeper({ redis, prefix, sweepIntervalMs: 100, alerts: a, logger });
  try {
    await waitFor(() => received.some((text) => text.includes('The recovery sweeper is not running')), { message: 'sweeper alert' });
    expect(received.find((text) => text.includes('sweeper'))).toMatch(/paused in bull-board, or is no worker running/);
  } finally {
    watch.stop();
  }
});
