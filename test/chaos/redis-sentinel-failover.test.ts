/**
 * Redis through Sentinel (`npm run test:chaos`): a primary, two replicas and three Sentinels, each a real
 * redis-server on 127.0.0.1. The API and two `npm run worker` processes find the primary through the
 * Sentinels (REDIS_SENTINELS, REDIS_SENTINEL_NAME). Orders on a few SmartVPS packages and Hostycare are
 * paid through signed webhooks; once a sixth are active the primary is SIGKILLed, the Sentinels promote a
 * replica, and the remaining payments arrive meanwhile. Replication is asynchronous, so what the old primary had not passed on is gone (jobs,
 * locks): every order must still end active, bought once, never two buys at once on a package. Then, with
 * the replicas stopped (SIGSTOP), a buy waits: a package lock no replica acknowledged (`WAIT 1`) could
 * vanish in a failover, so the worker postpones instead of buying, and buys once a replica answers again.
 * Last, the primary freezes (SIGSTOP) with its connections open: every process must give up the silent
 * connections by itself and work on with the replica the Sentinels promote.
 */
import { join } from 'node:path';
import { loadavg } from 'node:os';
import type { Redis } from 'ioredis';
import { DEV_DEFAULTS, loadConfig } from '../../src/config';
import { connectDatabase, type Database } from '../../src/db/connection';
import type { Order } from '../../src/db/order-model';
import { startSimulator, type RunningSimulator, type SimulatorFaults } from '../../dev/simulator/simulator';
import { createProvisionQueue, type ProvisionQueue } from '../../src/queue/provision-queue';
import { createRedis } from '../../src/queue/redis';
import { spawnApi, type ApiProcess } from '../support/api-process';
import { checkSettlement, saveArtifacts, seconds, pendingOrders } from '../support/fault-checks';
import { useIntegrationEnv } from '../support/integration';
import { createPaymentSender, type Delivery } from '../support/payment-sender';
import { startSentinelGroup, type RedisNode, type SentinelGroup } from '../support/redis-sentinel';
import { waitFor } from '../support/wait-for';
import { createWorkerFleet, FLEET_WORKER_SETTINGS, type WorkerFleet } from './worker-fleet';

const ROOT = join(__dirname, '..', '..');
const ORDER_COUNT = 60;
const PACKAGES = ['106.401', '106.402', '106.403'];
const HOSTYCARE_EVERY = 3;
const WORKERS = 2;
const SETTLE_LIMIT_MS = 60_000;
/** How many times the order paid while no replica answers must be put off (and not bought) before they come back. */
const POSTPONEMENTS = 3;
const ADMIN_TOKEN = 'sentinel-admin-token-0123456789';
const WEBHOOK_SECRET = DEV_DEFAULTS.WEBHOOK_SECRET;
const SENTINEL_NAME = 'vps-primary';

const WORKER_SETTINGS: Record<string, string> = {
  ...FLEET_WORKER_SETTINGS,
  LOCK_RETRY_DELAY_MS: '300',
  POLL_TIMEOUT_MS: '30000',
  STUCK_AFTER_MS: '120000',
  WORKER_CONCURRENCY: '20',
};

const SIM_FAULTS: SimulatorFaults = { latency: { find: [5, 20], buy: [20, 60], status: [5, 20] }, ipDelay: [300, 900] };

const env = useIntegrationEnv({ redis: false });
let group: SentinelGroup;
let simulator: RunningSimulator;
let db: Database;
let api: ApiProcess;
let fleet: WorkerFleet;
let queue: ProvisionQueue;
/** Idle clients of both roles, made from the config's Sentinel target: each must find the new primary. */
let bystanders: Redis[] = [];

beforeAll(async () => {
  group = await startSentinelGroup({ name: SENTINEL_NAME, replicas: 2, sentinels: 3, quorum: 2, downAfterMs: 1_000, failoverTimeoutMs: 4_000 });
  env.track({ close: () => group.stop() });
  simulator = await startSimulator({ host: '127.0.0.1', port: 0, faults: SIM_FAULTS });
  env.track({ close: () => simulator.stop() });
  db = env.track(await connectDatabase(env.mongoUrl));

  const redisEnv = { REDIS_SENTINELS: group.sentinelList(), REDIS_SENTINEL_NAME: SENTINEL_NAME };
  const shared = { QUEUE_PREFIX: `{${env.uniqueName('sentinel')}}`, MONGO_URL: env.mongoUrl, SIMULATOR_URL: simulator.url, ...redisEnv };
  fleet = createWorkerFleet({ cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...WORKER_SETTINGS, ...shared } });
  env.track({ close: () => fleet.killAll() });
  for (let i = 0; i < WORKERS; i += 1) fleet.start();
  api = await spawnApi({ NODE_ENV: 'test', LOG_LEVEL: 'info', WEBHOOK_SECRET, ADMIN_TOKEN, ...shared });
  env.track({ close: () => api.stop() });

  // The test's own look at the queue, through the same Sentinels (the config's target, given to createRedis).
  const config = loadConfig({ NODE_ENV: 'test', ...shared });
  if (config.redis?.kind !== 'sentinel') throw new Error('REDIS_SENTINELS did not make a Sentinel target');
  const redis = createRedis(config.redis, 'worker');
  env.track({ close: () => redis.quit().catch(() => redis.disconnect()) });
  queue = createProvisionQueue({ connection: redis, prefix: config.queuePrefix, attempts: config.worker.attempts });
  queue.on('error', () => undefined);
  env.track(queue);
  const target = config.redis;
  bystanders = Array.from({ length: 12 }, (_, i) => createRedis(target, i % 2 === 0 ? 'api' : 'worker'));
  env.track({ close: () => Promise.all(bystanders.map((client) => client.quit().catch(() => client.disconnect()))) });
  await waitFor(() => fleet.alive().filter((w) => w.readyAt !== null).length === WORKERS, { timeoutMs: 60_000, message: 'workers started' });
}, 120_000);

afterAll(() => {
  saveArtifacts('redis-sentinel', { 'workers.log': fleet?.output() ?? '', 'api.log': api?.output() ?? '', 'redis.log': group?.output() ?? '' });
});

async function countActive(ids: string[]): Promise<number> {
  return db.orders.countDocuments({ _id: { $in: ids }, provisioningStatus: 'active' });
}

/** The order's attempts a worker put off because no replica acknowledged the package lock. */
async function lockRefusals(orderId: string): Promise<number> {
  const order = await db.orders.findById(orderId).lean<Order>();
  return (order?.attempts ?? []).filter((entry) => entry.outcome === 'aborted' && /Could not confirm the lock/.test(entry.error ?? '')).length;
}

/** A new SmartVPS order, pending, stored. */
async function newSmartVpsOrder(): Promise<string> {
  const [order] = pendingOrders(2, PACKAGES, HOSTYCARE_EVERY).filter((doc) => doc.provider === 'smartvps');
  if (!order) throw new Error('no SmartVPS order');
  await db.orders.insertMany([order]);
  return String(order._id);
}

it('the primary SIGKILLed under load: every order active, bought once, never two buys at once on a package; no buy without a replica', async () => {
  const t0 = Date.now();
  const violations: string[] = [];
  /** What a check waits on; a failure is recorded as a violation (null) and the run goes on to report the rest. */
  const orViolation = <T>(pending: Promise<T>): Promise<T | null> =>
    pending.catch((error: Error) => {
      violations.push(error.message);
      return null;
    });
  const sender = createPaymentSender({ apiUrl: api.url, secret: WEBHOOK_SECRET });
  const docs = pendingOrders(ORDER_COUNT, PACKAGES, HOSTYCARE_EVERY);
  await db.orders.insertMany(docs);
  const ids = docs.map((doc) => String(doc._id));

  // Load: 60 % of the payments first; the rest arrive from the moment the primary dies, through the
  // failover (the sender retries what is not 2xx; a payment the queue could not take is the sweeper's).
  const payAll = (batch: string[]) => {
    let next = 0;
    return Promise.all(
      Array.from({ length: 8 }, async () => {
        const mine: Delivery[] = [];
        while (next < batch.length) mine.push(await sender.pay(batch[next++] as string));
        return mine;
      }),
    ).then((lanes) => lanes.flat());
  };
  const paidBefore = ids.slice(0, (ORDER_COUNT * 3) / 5);
  const paidDuring = ids.slice(paidBefore.length);
  const firstPayments = await payAll(paidBefore);
  await waitFor(async () => (await countActive(ids)) >= ORDER_COUNT / 6, { timeoutMs: 30_000, intervalMs: 100, message: 'a sixth of the orders active' });

  const oldPrimary = await group.primary();
  const activeAtKill = await countActive(ids);
  const unfinishedAtKill = await db.orders.countDocuments({ _id: { $in: paidBefore }, provisioningStatus: { $in: ['queued', 'provisioning'] } });
  const killAt = Date.now();
  await group.kill(oldPrimary);
  const paying = payAll(paidDuring);
  const newPrimary = await waitFor(async () => {
    const named = await group.primary();
    return named !== oldPrimary ? named : null;
  }, { timeoutMs: 30_000, intervalMs: 100, message: 'the Sentinels promoted a replica' });
  const promotedAt = Date.now();
  await orViolation(group.replicasInSync(20_000));
  const syncedAt = Date.now();

  const deliveries = [...firstPayments, ...(await paying)];
  const paidAt = Date.now();
  await orViolation(waitFor(async () => (await countActive(ids)) === ids.length, { timeoutMs: SETTLE_LIMIT_MS, intervalMs: 250, message: 'every order active after the failover' }));
  const settledAt = Date.now();
  for (const delivery of deliveries) if (delivery.deliveredAt === null) violations.push(`${delivery.orderId}: payment never accepted`);
  const webhookTries = deliveries.flatMap((delivery) => delivery.tries);
  for (const attempt of webhookTries) if (attempt.status >= 500 && attempt.status !== 503) violations.push(`a webhook was answered ${attempt.status} (${attempt.error ?? ''})`);

  const orders = await db.orders.find({ _id: { $in: ids } }).lean<Order[]>();
  const settlement = checkSettlement(orders, simulator.stats(), ids.length);
  violations.push(...settlement.violations);

  // No replica answers: a buy must wait for one instead of trusting a lock a failover could lose. The
  // replicas are those of the primary the Sentinels name now: under load they may have failed over again
  // since the promotion (stopping that primary instead would be the freeze tested last, not this).
  await orViolation(group.replicasInSync(20_000));
  const primaryAtPause = await group.primary();
  const replicas = group.dataNodes.filter((node: RedisNode) => node !== primaryAtPause && !node.exited);
  for (const replica of replicas) group.pause(replica);
  const pausedAt = Date.now();
  const heldId = await newSmartVpsOrder();
  const heldPayment = await sender.pay(heldId);
  if (heldPayment.deliveredAt === null) violations.push(`${heldId}: payment not accepted while the replicas were stopped`);
  const postponed =
    (await orViolation(
      waitFor(
        async () => {
          const refusals = await lockRefusals(heldId);
          return refusals >= POSTPONEMENTS ? refusals : null;
        },
        { timeoutMs: 30_000, intervalMs: 100, message: `${POSTPONEMENTS} buys put off while no replica answered` },
      ),
    )) ?? 0;
  const buysWhilePaused = simulator.stats().buys[heldId] ?? 0;
  if (buysWhilePaused > 0) violations.push(`${heldId} bought while no replica acknowledged its package lock`);
  const primaryBeforeResume = await group.primary().catch(() => null);
  if (primaryBeforeResume !== primaryAtPause) violations.push(`the primary changed while its replicas were stopped (port ${primaryAtPause.port} to ${primaryBeforeResume?.port ?? 'none'})`);
  for (const replica of replicas) group.resume(replica);
  const resumedAt = Date.now();
  await orViolation(waitFor(async () => (await countActive([heldId])) === 1, { timeoutMs: 30_000, intervalMs: 100, message: 'the held order active once a replica answered' }));
  const heldActiveAt = Date.now();
  const heldSettlement = checkSettlement(await db.orders.find({ _id: heldId }).lean<Order[]>(), simulator.stats(), 1);
  violations.push(...heldSettlement.violations);

  // The primary freezes (SIGSTOP: its connections stay open and silent, as on a paused VM or behind a
  // partition that drops packets). The Sentinels promote its replica, but nothing closes the silent
  // connections: each process must give them up by itself and find the new primary. An order paid
  // meanwhile shows it: its attempts run there (and are put off, as the new primary has no replica until
  // the frozen one comes back as one); then it is bought once the old primary answers again.
  await orViolation(group.replicasInSync(20_000));
  const frozen = await group.primary();
  group.pause(frozen);
  const frozenAt = Date.now();
  const successor = await orViolation(
    waitFor(async () => {
      const named = await group.primary().catch(() => null);
      return named && named !== frozen ? named : null;
    }, { timeoutMs: 30_000, intervalMs: 100, message: 'the Sentinels promoted a replica of the frozen primary' }),
  );
  const succeededAt = Date.now();
  const lateId = await newSmartVpsOrder();
  const latePayment = await sender.pay(lateId);
  if (latePayment.deliveredAt === null) violations.push(`${lateId}: payment not accepted while the old primary was frozen`);
  const reachedSuccessor = await orViolation(
    waitFor(async () => ((await lockRefusals(lateId)) > 0 ? Date.now() : null), {
      timeoutMs: 45_000,
      intervalMs: 200,
      message: 'an attempt on the promoted primary while the old one was frozen (processes left waiting on its silent connections)',
    }),
  );
  group.resume(frozen);
  const thawedAt = Date.now();
  await orViolation(waitFor(async () => (await countActive([lateId])) === 1, { timeoutMs: 45_000, intervalMs: 200, message: 'the order paid during the freeze active once the old primary answered again' }));
  const lateActiveAt = Date.now();
  const lateSettlement = checkSettlement(await db.orders.find({ _id: lateId }).lean<Order[]>(), simulator.stats(), 1);
  violations.push(...lateSettlement.violations);

  // Every process found the new primary: each worker went on taking attempts, the API is ready again,
  // and every client createRedis made here answers.
  const answering = await waitFor(async () => {
    const answers = await Promise.all(bystanders.map((client) => client.ping().then(() => true, () => false)));
    return answers.every(Boolean) ? answers.length : null;
  }, { timeoutMs: 10_000, intervalMs: 200 }).catch(() => 0);
  if (answering === 0) violations.push(`Redis clients that never found the new primary: ${bystanders.filter((client) => client.status !== 'ready').map((client) => client.status).join(', ')}`);
  for (const worker of fleet.alive()) if ((worker.lastAttemptAt ?? 0) <= promotedAt) violations.push(`worker ${worker.id} started no attempt after the failover`);
  const ready = await fetch(`${api.url}/readyz`).then(async (res) => `${res.status} ${JSON.stringify(await res.json())}`);
  if (!ready.startsWith('200')) violations.push(`the API's /readyz after the failover: ${ready}`);
  const left = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
  if (Object.values(left).some((n) => n > 0)) violations.push(`jobs left in the queue: ${JSON.stringify(left)}`);
  for (const crash of fleet.unexpectedExits()) violations.push(`worker ${crash.id} exited on its own (${crash.exit}):\n${crash.tail}`);
  const stats = simulator.stats();
  const reenqueued = (fleet.output().match(/recovered an order with no live job/g) ?? []).length;

  process.stdout.write(
    `\nredis sentinel: ${ORDER_COUNT} orders (${ORDER_COUNT - ORDER_COUNT / HOSTYCARE_EVERY} SmartVPS on ${PACKAGES.length} packages, ${ORDER_COUNT / HOSTYCARE_EVERY} Hostycare), ` +
      `${WORKERS} worker processes and the API through 3 Sentinels; faults: primary SIGKILLed with ${activeAtKill} active and ${unfinishedAtKill} under way, ${paidDuring.length} paid from then on, ` +
      `replica promoted after ${seconds(promotedAt - killAt)}, replicas in sync after ${seconds(syncedAt - killAt)}` +
      `${primaryAtPause === newPrimary ? '' : `, the Sentinels failed over again before the replicas were stopped`}; ${reenqueued} orders re-enqueued by the sweeper; ` +
      `webhooks ${webhookTries.length} tries for ${deliveries.length} payments, all paid ${seconds(paidAt - killAt)} after the kill; ` +
      `double buys ${settlement.doubleBuys + heldSettlement.doubleBuys + lateSettlement.doubleBuys}, concurrent buys ${Object.values(stats.concurrentBuyViolations).reduce((a, n) => a + n, 0)}, ` +
      `lost ${settlement.lost + heldSettlement.lost + lateSettlement.lost}, broken histories ${settlement.brokenHistories}; settled ${seconds(settledAt - killAt)} after the kill; ` +
      `replicas stopped ${seconds(resumedAt - pausedAt)}: ${postponed} buys put off, ${buysWhilePaused} made, bought ${seconds(heldActiveAt - resumedAt)} after they answered; ` +
      `primary frozen: ${successor ? `replica promoted after ${seconds(succeededAt - frozenAt)}` : 'no replica promoted'}, ` +
      `${reachedSuccessor ? `an attempt on it ${seconds(reachedSuccessor - frozenAt)} after the freeze` : 'no attempt on it'}, ` +
      `the order paid meanwhile active ${seconds(lateActiveAt - thawedAt)} after the old primary answered; ` +
      `whole run ${seconds(Date.now() - t0)}; load ${loadavg()[0]?.toFixed(1)}\n`,
  );
  if (violations.length > 0) {
    const dir = saveArtifacts('redis-sentinel', { 'violations.txt': violations.join('\n') });
    process.stderr.write(`redis sentinel: ${violations.length} violations, logs in ${dir}\n`);
  }
  expect(violations).toEqual([]);
}, 240_000);
