/**
 * The chaos test (`npm run test:chaos`): 300 orders paid through signed webhooks against the real API,
 * three `npm run worker` processes of which one is SIGKILLed and replaced every ~2 s, a simulator that
 * fails 20% of calls and times out 5%, and one Redis restart that loses everything Redis held. At the
 * end it proves what users rely on: no order bought twice, none lost, none stuck, no credential leaked.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { startApiServer, type ApiServer } from '../../src/api/start-api';
import { DEV_DEFAULTS, loadConfig } from '../../src/config';
import { connectDatabase, type Database } from '../../src/db/connection';
import type { Order } from '../../src/db/order-model';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../dev/embedded-redis';
import {
  SIMULATOR_API_KEYS,
  startSimulator,
  type RunningSimulator,
  type SimulatorFaults,
  type SimulatorStats,
} from '../../dev/simulator/simulator';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { createProviderClients } from '../../src/providers';
import { decryptCredentials } from '../../src/provisioning/credentials-cipher';
import { createProvisionQueue, findLiveProvisionJob, type ProvisionQueue } from '../../src/queue/provision-queue';
import { createRedis } from '../../src/queue/redis';
import { useIntegrationEnv } from '../support/integration';
import { waitFor } from '../support/wait-for';
import { pendingOrders } from '../support/fault-checks';
import { watchOrphans } from './orphan-watch';
import { createWorkerFleet, FLEET_WORKER_SETTINGS, type WorkerFleet } from './worker-fleet';

const ROOT = join(__dirname, '..', '..');
const ORDER_COUNT = 300;
const PACKAGES = ['103.101', '103.102', '103.103', '103.104', '103.105'];
/** One order in three is Hostycare (no package lock); the rest are spread over the SmartVPS packages. */
const HOSTYCARE_EVERY = 3;
const WORKERS = 3;
const KILL_EVERY_MS = 2_000;
/** Payments held back and delivered while Redis is down: only the sweeper can enqueue them. */
const PAID_DURING_OUTAGE = 30;
/** Payments delivered twice at once (the provider's retry racing the original). */
const DELIVERED_TWICE = 30;
/** The whole run, from the first worker to the last order settled (jest's limit for the test is 170 s). */
const RUN_LIMIT_MS = 140_000;
/**
 * The longest an unfinished order may go without a live job (a job lost to a SIGKILL or to its stall
 * limit): the sweeper runs every second, and one killed mid-sweep holds the sweep lock for JOB_LOCK_MS.
 */
const ORPHAN_LIMIT_MS = 10_000;
/** How soon after Redis comes back every order whose job it lost must have one again (~200 to re-enqueue at once). */
const RESTART_RECOVERY_LIMIT_MS = 20_000;
/** How long a worker that lived through the Redis restart may take to start an attempt again. */
const RESUME_LIMIT_MS = 15_000;

/** The fleet's shrunken settings, with this run's lock retry, poll timeout and stuck limit. */
const WORKER_SETTINGS: Record<string, string> = {
  ...FLEET_WORKER_SETTINGS,
  // A release wakes the next waiter at once; the delay only matters when a holder died.
  LOCK_RETRY_DELAY_MS: '2000',
  POLL_TIMEOUT_MS: '10000',
  STUCK_AFTER_MS: '60000',
};

const CHAOS_FAULTS: Partial<SimulatorFaults> = { failRate: 0.2, timeoutRate: 0.05, latencyMs: 5, ipDelayMs: 300 };
/** The IP delay is drawn again at every kill, in this range. */
const IP_DELAY_RANGE_MS = [50, 800] as const;
const WEBHOOK_SECRET = DEV_DEFAULTS.WEBHOOK_SECRET;

const env = useIntegrationEnv({ redis: false });

/** Collects pino's output in memory (the API runs in this process). */
class LogCapture {
  private readonly chunks: string[] = [];
  write(line: string): void {
    this.chunks.push(line);
  }
  text(): string {
    return this.chunks.join('');
  }
}

let redis: EmbeddedRedis;
let simulator: RunningSimulator;
let db: Database;
let api: ApiServer;
let queue: ProvisionQueue;
let fleet: WorkerFleet;
const apiLog = new LogCapture();
const prefix = `{chaos-${randomBytes(4).toString('hex')}}`;

beforeAll(async () => {
  redis = await startEmbeddedRedis();
  env.track({ close: () => redis.stop() });
  simulator = await startSimulator({ host: '127.0.0.1', port: 0 });
  env.track({ close: () => simulator.stop() });
  db = env.track(await connectDatabase(env.mongoUrl));

  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'debug', QUEUE_PREFIX: prefix, WEBHOOK_SECRET });
  // Short disconnect timer: after the Redis restart ioredis arms one that would only delay the exit.
  const apiRedis = createRedis(redis.url, 'api', { disconnectTimeout: 100 });
  env.track({ close: () => apiRedis.quit().catch(() => apiRedis.disconnect()) });
  queue = createProvisionQueue({ connection: apiRedis, prefix, attempts: config.worker.attempts });
  queue.on('error', () => undefined);
  env.track(queue);
  const logger = createLogger({ level: 'debug', name: 'api' }, apiLog);
  api = env.track(await startApiServer({ config, db, queue, redis: apiRedis, logger, metrics: createMetrics(), host: '127.0.0.1', port: 0 }));

  fleet = createWorkerFleet({
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...WORKER_SETTINGS,
      QUEUE_PREFIX: prefix,
      MONGO_URL: env.mongoUrl,
      REDIS_URL: redis.url,
      SIMULATOR_URL: simulator.url,
    },
  });
  // Closed first (tracked last): no worker may outlive the test, whatever happened in it.
  env.track({ close: () => fleet.killAll() });
}, 60_000);

async function simControl<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${simulator.url}/__sim/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`simulator ${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

const webhook = new Webhook(WEBHOOK_SECRET);

/** Delivers one signed `payment.succeeded` event; answers the API's JSON. */
async function pay(orderId: string, webhookId: string): Promise<{ received: boolean; duplicate: boolean }> {
  const payload = JSON.stringify({ type: 'payment.succeeded', data: { orderId, amount: 12, currency: 'EUR' } });
  const at = new Date();
  const res = await fetch(`${api.url}/api/webhooks/payments`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': webhookId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': webhook.sign(webhookId, at, payload),
    },
    body: payload,
  });
  const body = (await res.json()) as { received: boolean; duplicate: boolean };
  if (res.status !== 200) throw new Error(`webhook for ${orderId}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Pays each order once; the `twice` ones get the same event delivered twice at the same moment. */
async function payAll(orderIds: string[], twice: Set<string>, concurrency = 8): Promise<string[]> {
  const problems: string[] = [];
  let next = 0;
  const lane = async () => {
    while (next < orderIds.length) {
      const orderId = orderIds[next++] as string;
      const webhookId = `msg_${orderId}`;
      const answers = await Promise.all(twice.has(orderId) ? [pay(orderId, webhookId), pay(orderId, webhookId)] : [pay(orderId, webhookId)]);
      const firsts = answers.filter((answer) => !answer.duplicate).length;
      if (firsts !== 1) problems.push(`${orderId}: ${firsts} of ${answers.length} deliveries of one event were processed`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return problems;
}

function shuffle<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

async function countByStatus(): Promise<Record<string, number>> {
  const rows = await db.orders.aggregate<{ _id: string | null; n: number }>([{ $group: { _id: '$provisioningStatus', n: { $sum: 1 } } }]);
  return Object.fromEntries(rows.map((row) => [String(row._id), row.n]));
}

/** Every value Redis holds under any key, as text, for the credentials scan. */
async function dumpRedis(url: string): Promise<{ keys: number; text: string }> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  try {
    const parts: string[] = [];
    let keys = 0;
    let cursor = '0';
    do {
      const [nextCursor, batch] = await client.scan(cursor, 'COUNT', 500);
      cursor = nextCursor;
      for (const key of batch) {
        keys += 1;
        const type = await client.type(key);
        let value: unknown;
        if (type === 'string') value = await client.get(key);
        else if (type === 'hash') value = await client.hgetall(key);
        else if (type === 'list') value = await client.lrange(key, 0, -1);
        else if (type === 'set') value = await client.smembers(key);
        else if (type === 'zset') value = await client.zrange(key, 0, '-1', 'WITHSCORES');
        else if (type === 'stream') value = await client.xrange(key, '-', '+');
        parts.push(key, JSON.stringify(value));
      }
    } while (cursor !== '0');
    return { keys, text: parts.join('\n') };
  } finally {
    client.disconnect();
  }
}

/** The logs go to test-artifacts/chaos/ (CI keeps them), to find out what happened when a run fails. */
function saveArtifacts(violations: string[], redisDump: string): void {
  const dir = join(ROOT, 'test-artifacts', 'chaos');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'workers.log'), fleet.output());
  writeFileSync(join(dir, 'api.log'), apiLog.text());
  writeFileSync(join(dir, 'violations.txt'), violations.join('\n'));
  writeFileSync(join(dir, 'redis.txt'), redisDump);
  process.stderr.write(`chaos: logs in ${dir}\n`);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

it('never buys twice, never loses a paid order, never leaks a credential', async () => {
  const t0 = Date.now();
  const deadline = t0 + RUN_LIMIT_MS;
  const violations: string[] = [];

  // 300 pending orders, as the web app writes them.
  const docs = pendingOrders(ORDER_COUNT, PACKAGES, HOSTYCARE_EVERY);
  await db.orders.insertMany(docs);
  const orderIds = shuffle(docs.map((doc) => String(doc._id)));
  const paidDuringOutage = orderIds.slice(0, PAID_DURING_OUTAGE);
  const paidFirst = orderIds.slice(PAID_DURING_OUTAGE);
  const twice = new Set(shuffle(paidFirst).slice(0, DELIVERED_TWICE));

  for (let i = 0; i < WORKERS; i += 1) fleet.start();
  await waitFor(() => fleet.alive().filter((w) => w.readyAt !== null).length === WORKERS, { timeoutMs: 30_000, message: 'workers started' });
  await simControl('faults', CHAOS_FAULTS);
  const tStart = Date.now();

  const chaos = startKilling();
  const orphans = watchOrphans({ orders: db.orders, queue, everyMs: 1_000 });
  const progress = setInterval(() => {
    void countByStatus().then((counts) => {
      const alive = fleet.alive();
      process.stderr.write(
        `chaos ${seconds(Date.now() - t0)}: ${JSON.stringify(counts)}; workers ${alive.filter((w) => w.readyAt).length}/${alive.length} ready; ` +
          `${chaos.killedAt.length} killed; ${orphans.orphans} orders without a live job\n`,
      );
    }, () => undefined);
  }, 5_000);

  try {
    violations.push(...(await payAll(paidFirst, twice)));
    const paidAt = Date.now();

    // Redis restart, once a third of the orders are done: everything it held is gone.
    await waitFor(async () => {
      const counts = await countByStatus();
      return (counts.active ?? 0) + (counts.failed ?? 0) >= ORDER_COUNT / 3;
    }, { timeoutMs: deadline - Date.now(), intervalMs: 100, message: 'a third of the orders settled' });
    const restartAt = Date.now();
    orphans.redisDown();
    await redis.stop();
    violations.push(...(await payAll(paidDuringOutage, new Set())));
    await redis.restart();
    const backAt = Date.now();
    const unfinished = await db.orders.find({ provisioningStatus: { $in: ['queued', 'provisioning'] } }).select({ _id: 1 }).lean();
    const lostByRestart = unfinished.map((order) => String(order._id));
    orphans.redisBack(lostByRestart, backAt);
    const resumed = checkSurvivorsResume(chaos, backAt).catch((error: Error) => violations.push(error.message));

    // The end: every order settled and no job left to run.
    await waitFor(async () => {
      const counts = await countByStatus();
      if ((counts.active ?? 0) + (counts.failed ?? 0) < ORDER_COUNT) return false;
      const jobs = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
      return Object.values(jobs).every((n) => n === 0);
    }, { timeoutMs: Math.max(0, deadline - Date.now()), intervalMs: 250, message: 'all orders settled and the queue drained' }).catch(async (error: Error) => {
      violations.push(`${error.message}; provisioningStatus counts: ${JSON.stringify(await countByStatus())}`);
    });
    const settledAt = Date.now();
    await resumed;
    await Promise.all([chaos.stop(), orphans.stop()]);

    // Still unfinished orders must each have a live job; none may stay without one for long.
    for (const order of await db.orders.find({ provisioningStatus: { $in: ['queued', 'provisioning'] } }).lean<Order[]>()) {
      if (!(await findLiveProvisionJob(queue, String(order._id)))) violations.push(`${String(order._id)} is ${order.provisioningStatus} with no live job`);
    }
    if (orphans.longest.ms > ORPHAN_LIMIT_MS) violations.push(`order ${orphans.longest.orderId} went ${seconds(orphans.longest.ms)} unfinished with no live job`);
    const restartRecoveryMs = (orphans.restartRecoveredAt ?? Date.now()) - backAt;
    if (restartRecoveryMs > RESTART_RECOVERY_LIMIT_MS) {
      violations.push(`the orders whose jobs the Redis restart lost took ${seconds(restartRecoveryMs)} to all have a job again (or be done)`);
    }

    // Workers: none crashed, none left behind.
    await fleet.killAll();
    // SIGKILLed processes that hold none of our pipes (esbuild, say) may take a moment to be gone.
    const leftovers = await waitFor(() => fleet.leftovers().length === 0, { timeoutMs: 5_000 }).then(
      () => [],
      () => fleet.leftovers(),
    );
    if (leftovers.length > 0) violations.push(`processes left behind: ${leftovers.join(', ')}`);
    for (const crash of fleet.unexpectedExits()) violations.push(`worker ${crash.id} exited on its own (${crash.exit}):\n${crash.tail}`);

    // Buys: at most one per order, never two at once on a package.
    const stats = await simControl<SimulatorStats>('stats');
    for (const [reference, count] of Object.entries(stats.buys)) if (count > 1) violations.push(`order ${reference} bought ${count} times`);
    for (const [pkg, count] of Object.entries(stats.concurrentBuyViolations)) violations.push(`package ${pkg}: ${count} concurrent buys`);

    // Orders: every one paid and active, or failed with a reason.
    const orders = await db.orders.find({}).select('+credentialsEncrypted').lean<Order[]>();
    const reasons = new Map<string, number>();
    for (const order of orders) {
      const id = String(order._id);
      if (order.provisioningStatus === 'active') {
        if (order.status !== 'active' || !order.ipAddress || !order.credentialsEncrypted) violations.push(`${id} is active without status, IP or credentials`);
        if ((stats.buys[id] ?? 0) !== 1) violations.push(`${id} is active but was bought ${stats.buys[id] ?? 0} times`);
      } else if (order.provisioningStatus === 'failed') {
        if (!order.provisioningError) violations.push(`${id} failed without a reason`);
        const reason = (order.provisioningError ?? '').replace(/[0-9a-f]{24}|\d+(\.\d+)?/g, '#').slice(0, 90);
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      } else {
        violations.push(`${id} ended ${order.status}/${order.provisioningStatus}`);
      }
      if (order.status === 'pending') violations.push(`${id}: its payment was lost`);
    }

    const scan = await scanForCredentials(orders);
    violations.push(...scan.violations);

    const startupTimes = fleet.startupTimes().sort((a, b) => a - b);
    const { killedAt } = chaos;
    const killInterval = killedAt.length > 1 ? ((killedAt.at(-1) as number) - (killedAt[0] as number)) / (killedAt.length - 1) : 0;
    const count = (status: string) => orders.filter((o) => o.provisioningStatus === status).length;
    const report = [
      '',
      `chaos: ${ORDER_COUNT} orders (${ORDER_COUNT - ORDER_COUNT / HOSTYCARE_EVERY} SmartVPS on ${PACKAGES.length} packages, ${ORDER_COUNT / HOSTYCARE_EVERY} Hostycare), ${WORKERS} worker processes`,
      `  setup ${seconds(tStart - t0)}; payments delivered in ${seconds(paidAt - tStart)}; Redis restarted at ${seconds(restartAt - tStart)} ` +
        `(down ${seconds(backAt - restartAt)}, ${PAID_DURING_OUTAGE} payments meanwhile); settled at ${seconds(settledAt - tStart)}`,
      `  orders: ${count('active')} active, ${count('failed')} failed${[...reasons].map(([reason, n]) => `\n    ${n} × ${reason}`).join('')}`,
      `  workers: ${fleet.counts.started} started (ready after median ${seconds(startupTimes[Math.floor(startupTimes.length / 2)] ?? 0)}, ` +
        `max ${seconds(startupTimes.at(-1) ?? 0)}), ${killedAt.length} killed by SIGKILL (one every ${seconds(killInterval)}), ` +
        `${fleet.unexpectedExits().length} crashed, ${leftovers.length} processes left; load average ${loadavg()[0]?.toFixed(1)}`,
      `  simulator: ${stats.purchases} purchases, ${stats.buyRequests} buy / ${stats.findRequests} find / ${stats.statusRequests} status requests, ` +
        `faults ${JSON.stringify(stats.faultsInjected)}`,
      `  buys per order: max ${Math.max(0, ...Object.values(stats.buys))}; concurrent-buy violations: ` +
        `${Object.keys(stats.concurrentBuyViolations).length === 0 ? 'none' : JSON.stringify(stats.concurrentBuyViolations)}`,
      `  no live job: longest gap for an unfinished order ${seconds(orphans.longest.ms)} (limit ${seconds(ORPHAN_LIMIT_MS)}); ` +
        `the ${lostByRestart.length} orders whose jobs the Redis restart wiped all had one again after ` +
        `${orphans.restartRecoveredAt === null ? 'never' : seconds(restartRecoveryMs)} (limit ${seconds(RESTART_RECOVERY_LIMIT_MS)})`,
      `  credentials: ${scan.summary}`,
      `  violations: ${violations.length === 0 ? 'none' : `\n    ${violations.join('\n    ')}`}`,
      '',
    ].join('\n');
    process.stdout.write(report);
  } finally {
    clearInterval(progress);
    await Promise.all([chaos.stop(), orphans.stop()]);
    saveArtifacts(violations, await dumpRedis(redis.url).then((dump) => dump.text, (error: Error) => error.message));
  }
  expect(violations).toEqual([]);
}, 170_000);

interface Killing {
  /** When each kill happened. */
  readonly killedAt: number[];
  /** Workers the killing leaves alone for now. */
  readonly spared: Set<number>;
  stop(): Promise<void>;
}

/**
 * Every ~2 s a random working worker dies by SIGKILL and a new one starts, and the IP delay changes.
 * Never below two working workers: on a loaded machine a start takes longer than the cadence, and
 * killing faster than workers start would measure the machine, not the system.
 */
function startKilling(): Killing {
  let on = true;
  const killedAt: number[] = [];
  const spared = new Set<number>();
  const loop = (async () => {
    while (on) {
      await sleep(KILL_EVERY_MS);
      while (on && fleet.alive().filter((w) => w.readyAt !== null).length < WORKERS - 1) await sleep(100);
      if (!on) break;
      const [least, most] = IP_DELAY_RANGE_MS;
      await simControl('faults', { ipDelayMs: least + Math.floor(Math.random() * (most - least)) }).catch(() => undefined);
      const victims = fleet.alive().filter((w) => w.readyAt !== null && !spared.has(w.id));
      const victim = victims[Math.floor(Math.random() * victims.length)];
      if (!victim) continue;
      killedAt.push(Date.now());
      await fleet.kill(victim);
      fleet.start();
    }
  })();
  return {
    killedAt,
    spared,
    stop: async () => {
      on = false;
      await loop;
    },
  };
}

/**
 * A worker that lived through the Redis restart must start attempts again on the new Redis (a worker
 * that never reconnects would otherwise go unnoticed, replaced by the killing). Each is spared until it
 * has, or for RESUME_LIMIT_MS.
 */
async function checkSurvivorsResume(killing: Killing, backAt: number): Promise<void> {
  const survivors = new Set(fleet.alive().filter((w) => w.readyAt !== null).map((w) => w.id));
  for (const id of survivors) killing.spared.add(id);
  try {
    await waitFor(
      () => {
        for (const worker of fleet.alive()) if (survivors.has(worker.id) && (worker.lastAttemptAt ?? 0) > backAt) survivors.delete(worker.id);
        return [...survivors].every((id) => !fleet.alive().some((w) => w.id === id));
      },
      { timeoutMs: RESUME_LIMIT_MS, intervalMs: 100 },
    );
  } catch {
    throw new Error(`workers ${[...survivors].join(', ')} lived through the Redis restart but started no attempt within ${seconds(RESUME_LIMIT_MS)}`);
  } finally {
    killing.spared.clear();
  }
}

/**
 * Every password the providers handed out (asked of the simulator through the provider APIs, and
 * decrypted from the orders), looked for everywhere it must never be: logs, Redis, order documents.
 */
async function scanForCredentials(orders: Order[]): Promise<{ violations: string[]; summary: string }> {
  const violations: string[] = [];
  await simControl('faults', { failRate: 0, timeoutRate: 0, ipDelayMs: 0 });
  const providers = createProviderClients({
    smartvps: { url: `${simulator.url}/smartvps`, apiKey: SIMULATOR_API_KEYS.smartvps },
    hostycare: { url: `${simulator.url}/hostycare`, apiKey: SIMULATOR_API_KEYS.hostycare },
    timeoutMs: 5_000,
  });
  const key = loadConfig({ NODE_ENV: 'test' }).credentialsKey;
  const passwords = new Set<string>();
  for (const order of orders) {
    const id = String(order._id);
    const purchase = await providers[order.provider].findPurchase(id);
    if (purchase?.credentials) passwords.add(purchase.credentials.password);
    if (order.credentialsEncrypted) {
      const stored = decryptCredentials(order.credentialsEncrypted, key, id);
      passwords.add(stored.password);
      if (stored.password !== purchase?.credentials?.password) violations.push(`${id}: stored credentials are not the provider's`);
    }
  }
  if (passwords.size < ORDER_COUNT / 2) violations.push(`only ${passwords.size} passwords to look for: the scan proves little`);

  const redisDump = await dumpRedis(redis.url);
  const haystacks = {
    'worker logs': fleet.output(),
    'API logs': apiLog.text(),
    'Redis (job data and all)': redisDump.text,
    'order documents': JSON.stringify(orders.map(({ credentialsEncrypted: _secret, ...rest }) => rest)),
    'webhook events': JSON.stringify(await db.webhookEvents.find({}).lean()),
  };
  let found = 0;
  for (const [where, text] of Object.entries(haystacks)) {
    const leaked = [...passwords].filter((password) => text.includes(password));
    found += leaked.length;
    if (leaked.length > 0) violations.push(`${leaked.length} passwords found in ${where}`);
  }
  const scanned = Object.entries(haystacks).map(([where, text]) => `${where} ${(text.length / 1e6).toFixed(1)} MB`);
  return { violations, summary: `${passwords.size} passwords looked for in ${scanned.join(', ')} (${redisDump.keys} Redis keys): ${found} found` };
}
