/**
 * MongoDB outages (`npm run test:chaos`): a TCP proxy stands between MongoDB and the processes that use
 * it (the API, and two `npm run worker` processes). Orders are paid through signed webhooks before and
 * during 20 s in which the proxy either stops answering (a partition: connections accepted, nothing
 * forwarded) or refuses (every connection closed, new ones refused). Meanwhile the API must answer 503
 * `database_unavailable` within ~15 s (never 500), /readyz must name MongoDB, and webhooks must answer
 * non-2xx so the sender retries. Afterwards every order is active, bought once, its attempt history whole.
 * Runs against MONGO_URL's server when it is set (a single host), else the embedded MongoDB.
 */
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { DEV_DEFAULTS } from '../../src/config';
import { connectDatabase, type Database } from '../../src/db/connection';
import type { Order } from '../../src/db/order-model';
import { startSimulator, type RunningSimulator, type SimulatorFaults } from '../../dev/simulator/simulator';
import { spawnApi, type ApiProcess } from '../support/api-process';
import { checkSettlement, saveArtifacts, seconds, pendingOrders } from '../support/fault-checks';
import { useIntegrationEnv } from '../support/integration';
import { createPaymentSender, type Delivery, type PaymentSender } from '../support/payment-sender';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait-for';
import { createWorkerFleet, FLEET_WORKER_SETTINGS, type WorkerFleet } from './worker-fleet';

const ROOT = join(__dirname, '..', '..');
const OUTAGE_MS = 20_000;
/**
 * The longest the API may take to answer while MongoDB is gone: a request on a connection that stopped
 * answering fails after the socket timeout (10 s), and the driver's retry after server selection (5 s);
 * a second and a half for timers on a loaded machine.
 */
const ANSWER_LIMIT_MS = 16_500;
const ORDERS_PER_FORM = 18;
const PACKAGES = ['104.201', '104.202', '104.203'];
const HOSTYCARE_EVERY = 3;
const WORKERS = 2;
const SETTLE_LIMIT_MS = 60_000;
const ADMIN_TOKEN = 'mongo-outage-admin-token-0123';
const WEBHOOK_SECRET = DEV_DEFAULTS.WEBHOOK_SECRET;

const WORKER_SETTINGS: Record<string, string> = {
  ...FLEET_WORKER_SETTINGS,
  LOCK_TTL_MS: '3000',
  LOCK_RETRY_DELAY_MS: '1000',
  POLL_TIMEOUT_MS: '60000',
  PROVIDER_TIMEOUT_MS: '1500',
  BUY_GRACE_MS: '500',
  JOB_LOCK_MS: '5000',
  // Far beyond the outage: an order that waited through it is not given up on.
  STUCK_AFTER_MS: '120000',
  WORKER_CONCURRENCY: '20',
};

/** Purchases take a while to get their IP, so many orders are mid-attempt when MongoDB goes. */
const SIM_FAULTS: SimulatorFaults = { latency: { find: [10, 40], buy: [50, 150], status: [10, 40] }, ipDelay: [1_000, 2_500] };

const env = useIntegrationEnv();
let proxy: TcpProxy;
let simulator: RunningSimulator;
let db: Database;
let api: ApiProcess;
let fleet: WorkerFleet;

/** MONGO_URL (or the embedded server's) with the proxy in place of its one host. */
function throughProxy(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.host = `127.0.0.1:${port}`;
  // Only the proxy: a replica set member would otherwise hand out its peers' addresses.
  parsed.searchParams.delete('replicaSet');
  parsed.searchParams.set('directConnection', 'true');
  return parsed.toString();
}

function mongoTarget(url: string): { host: string; port: number } {
  const authority = /^mongodb:\/\/(?:[^@/]*@)?([^/?]+)/.exec(url)?.[1] ?? '';
  if (authority.includes(',')) throw new Error(`the MongoDB outage test proxies one host; MONGO_URL names several (${authority})`);
  const parsed = new URL(url);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || 27017) };
}

beforeAll(async () => {
  proxy = await startTcpProxy(mongoTarget(env.mongoUrl));
  env.track(proxy);
  const proxiedUrl = throughProxy(env.mongoUrl, proxy.port);
  simulator = await startSimulator({ host: '127.0.0.1', port: 0, faults: SIM_FAULTS });
  env.track({ close: () => simulator.stop() });
  // The test's own look at the orders goes straight to MongoDB.
  db = env.track(await connectDatabase(env.mongoUrl));

  // The API and the workers are processes of their own, as in production, reaching MongoDB through the proxy.
  const shared = { QUEUE_PREFIX: `{${env.uniqueName('mongo-outage')}}`, MONGO_URL: proxiedUrl, REDIS_URL: env.redisUrl, SIMULATOR_URL: simulator.url };
  fleet = createWorkerFleet({ cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...WORKER_SETTINGS, ...shared } });
  env.track({ close: () => fleet.killAll() });
  for (let i = 0; i < WORKERS; i += 1) fleet.start();
  api = await spawnApi({ NODE_ENV: 'test', LOG_LEVEL: 'info', WEBHOOK_SECRET, ADMIN_TOKEN, ...shared });
  env.track({ close: () => api.stop() });
  await waitFor(() => fleet.alive().filter((w) => w.readyAt !== null).length === WORKERS, { timeoutMs: 60_000, message: 'workers started' });
}, 90_000);

afterAll(() => {
  saveArtifacts('mongo-outage', { 'workers.log': fleet?.output() ?? '', 'api.log': api?.output() ?? '' });
});

/** One answer of the API during the outage, by what was asked. */
interface Probe {
  what: string;
  status: number;
  error: string | undefined;
  mongo: string | undefined;
  startedAt: number;
  ms: number;
}

/** Asks the API, again and again until `until`, what callers ask: readiness, the orders, an order, a provision request. */
async function probeUntil(until: number, orderId: string): Promise<Probe[]> {
  const probes: Probe[] = [];
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const asks: { what: string; path: string; init?: RequestInit }[] = [
    { what: 'readyz', path: '/readyz' },
    { what: 'list', path: '/api/orders?limit=5', init: { headers: auth } },
    { what: 'order', path: `/api/orders/${orderId}`, init: { headers: auth } },
    { what: 'provision', path: `/api/orders/${orderId}/provision`, init: { method: 'POST', headers: auth } },
  ];
  await Promise.all(
    asks.map(async (ask) => {
      while (Date.now() < until) {
        const startedAt = Date.now();
        let status = 0;
        let body: { error?: string; mongo?: string } = {};
        try {
          const res = await fetch(`${api.url}${ask.path}`, { ...ask.init, signal: AbortSignal.timeout(30_000) });
          status = res.status;
          body = (await res.json().catch(() => ({}))) as typeof body;
        } catch {
          // no answer at all: status stays 0, reported below
        }
        probes.push({ what: ask.what, status, error: body.error, mongo: body.mongo, startedAt, ms: Date.now() - startedAt });
        const next = Date.now() + 500;
        await waitFor(() => Date.now() >= next || Date.now() >= until, { timeoutMs: 2_000 });
      }
    }),
  );
  return probes;
}

async function runOutage(form: 'hang' | 'refuse'): Promise<void> {
  const t0 = Date.now();
  const violations: string[] = [];
  const before = simulator.stats();
  const docs = pendingOrders(ORDERS_PER_FORM, PACKAGES, HOSTYCARE_EVERY);
  await db.orders.insertMany(docs);
  const ids = docs.map((doc) => String(doc._id));
  const paidBefore = ids.slice(0, ORDERS_PER_FORM / 2);
  const paidDuring = ids.slice(ORDERS_PER_FORM / 2);
  const sender: PaymentSender = createPaymentSender({ apiUrl: api.url, secret: WEBHOOK_SECRET });

  // Before: paid, and some of them mid-attempt (taken, bought, waiting for the IP) when MongoDB goes.
  const firstPayments = await Promise.all(paidBefore.map((id) => sender.pay(id)));
  for (const delivery of firstPayments) if (delivery.tries.length !== 1) violations.push(`${delivery.orderId}: paid before the outage in ${delivery.tries.length} tries`);
  await waitFor(async () => (await db.orders.countDocuments({ _id: { $in: paidBefore }, provisioningStatus: 'provisioning' })) >= 3, {
    timeoutMs: 20_000,
    message: 'orders mid-attempt before the outage',
  });
  const inFlight = await db.orders.countDocuments({ _id: { $in: paidBefore }, provisioningStatus: { $in: ['queued', 'provisioning'] } });

  // The outage, measured on the clock; everything it must show is checked while it lasts.
  const downAt = Date.now();
  if (form === 'hang') proxy.hang();
  else await proxy.refuse();
  const until = downAt + OUTAGE_MS;
  const probing = probeUntil(until, paidDuring[0] as string);
  const duringPayments = Promise.all(paidDuring.map((id) => sender.pay(id)));
  await waitFor(() => Date.now() >= until, { timeoutMs: OUTAGE_MS + 5_000, intervalMs: 50, message: 'the outage lasted its time' });
  const stalled = proxy.counts.stalled;
  const cut = proxy.counts.cut;
  await proxy.forward();
  const upAt = Date.now();
  const probes = await probing;

  const delivered: Delivery[] = [...firstPayments, ...(await duringPayments)];
  await waitFor(async () => (await db.orders.countDocuments({ _id: { $in: ids }, provisioningStatus: 'active' })) === ids.length, {
    timeoutMs: SETTLE_LIMIT_MS,
    intervalMs: 250,
    message: 'every order active',
  }).catch((error: Error) => violations.push(error.message));
  const settledAt = Date.now();

  // While MongoDB was gone: 503 with the reason, in time; /readyz names MongoDB; never a 500.
  const within = (startedAt: number, ms: number) => startedAt >= downAt && startedAt + ms <= until;
  for (const probe of probes) {
    if (probe.ms > ANSWER_LIMIT_MS) violations.push(`${probe.what} took ${seconds(probe.ms)} during the outage`);
    if (probe.status >= 500 && probe.status !== 503) violations.push(`${probe.what} answered ${probe.status} (${probe.error ?? 'no code'})`);
    if (!within(probe.startedAt, probe.ms)) continue;
    if (probe.what === 'readyz' && !(probe.status === 503 && probe.mongo === 'down')) violations.push(`/readyz answered ${probe.status} mongo=${probe.mongo} during the outage`);
    if (probe.what !== 'readyz' && !(probe.status === 503 && probe.error === 'database_unavailable')) {
      violations.push(`${probe.what} answered ${probe.status} ${probe.error ?? ''} during the outage`);
    }
  }
  const duringProbes = probes.filter((probe) => within(probe.startedAt, probe.ms));
  for (const what of ['readyz', 'list', 'order', 'provision']) {
    if (!duringProbes.some((probe) => probe.what === what)) violations.push(`no answer to ${what} within the outage`);
  }
  const webhookTries = delivered.flatMap((delivery) => delivery.tries);
  const duringTries = webhookTries.filter((attempt) => within(attempt.startedAt, attempt.ms));
  for (const attempt of webhookTries) {
    if (attempt.ms > ANSWER_LIMIT_MS) violations.push(`a webhook took ${seconds(attempt.ms)}`);
    if (attempt.status === 0 || (attempt.status >= 500 && attempt.status !== 503)) violations.push(`a webhook was answered ${attempt.status} (${attempt.error ?? 'no code'})`);
  }
  for (const attempt of duringTries) {
    if (attempt.status >= 200 && attempt.status < 300) violations.push('a webhook was answered 2xx while MongoDB was down');
    else if (attempt.error !== 'database_unavailable') violations.push(`a webhook was answered ${attempt.status} ${attempt.error ?? ''} during the outage`);
  }
  if (duringTries.length < paidDuring.length) violations.push(`only ${duringTries.length} webhook tries answered within the outage`);
  for (const delivery of delivered) if (delivery.deliveredAt === null) violations.push(`${delivery.orderId}: payment never accepted`);
  const ready = await fetch(`${api.url}/readyz`).then((res) => res.status);
  if (ready !== 200) violations.push(`/readyz answered ${ready} after the outage`);

  // After: every order active, bought once, never two buys at once on a package, history whole.
  const orders = await db.orders.find({ _id: { $in: ids } }).lean<Order[]>();
  const stats = simulator.stats();
  const newViolations = Object.fromEntries(
    Object.entries(stats.concurrentBuyViolations).map(([pkg, n]) => [pkg, n - (before.concurrentBuyViolations[pkg] ?? 0)]).filter(([, n]) => (n as number) > 0),
  );
  const settlement = checkSettlement(orders, { ...stats, concurrentBuyViolations: newViolations }, ids.length);
  violations.push(...settlement.violations);
  for (const crash of fleet.unexpectedExits()) violations.push(`worker ${crash.id} exited on its own (${crash.exit}):\n${crash.tail}`);

  const slowest = (items: { ms: number }[]) => seconds(Math.max(0, ...items.map((item) => item.ms)));
  const count503 = (items: { status: number }[]) => items.filter((item) => item.status === 503).length;
  const maxTries = Math.max(...delivered.map((delivery) => delivery.tries.length));
  process.stdout.write(
    `\nmongo outage (${form}): ${ids.length} orders (${ids.length - ids.length / HOSTYCARE_EVERY} SmartVPS on ${PACKAGES.length} packages, ` +
      `${ids.length / HOSTYCARE_EVERY} Hostycare), ${paidBefore.length} paid before (${inFlight} unfinished at the cut) and ${paidDuring.length} during; ` +
      `faults: 1 outage of ${seconds(upAt - downAt)} (${form === 'hang' ? `${stalled} connections stalled` : `${cut} connections closed, new ones refused`}); ` +
      `API during it: ${duringProbes.length} answers, ${count503(duringProbes)} × 503, slowest ${slowest(probes)}; ` +
      `webhooks: ${webhookTries.length} tries, ${count503(duringTries)} × 503 during it, slowest ${slowest(webhookTries)}, up to ${maxTries} per payment; ` +
      `double buys ${settlement.doubleBuys}, concurrent buys ${settlement.concurrentBuys}, lost ${settlement.lost}, ` +
      `broken histories ${settlement.brokenHistories} of ${ids.length} (${settlement.attemptEntries} entries); ` +
      `settled ${seconds(settledAt - upAt)} after it, whole run ${seconds(settledAt - t0)}; load ${loadavg()[0]?.toFixed(1)}\n`,
  );
  if (violations.length > 0) {
    const dir = saveArtifacts('mongo-outage', { [`violations-${form}.txt`]: violations.join('\n') });
    process.stderr.write(`mongo outage (${form}): ${violations.length} violations, logs in ${dir}\n`);
  }
  expect(violations).toEqual([]);
}

it('MongoDB stops answering for 20 s: 503s within ~15 s, webhooks retried, every order active once, history whole', async () => {
  await runOutage('hang');
}, 120_000);

it('MongoDB refuses connections for 20 s: 503s at once, webhooks retried, every order active once, history whole', async () => {
  await runOutage('refuse');
}, 120_000);
