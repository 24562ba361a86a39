/**
 * A worker cut off from Redis while it holds a package lock (`npm run test:chaos`). Worker W1 reaches
 * Redis through a TCP proxy, takes order A on package P and holds P's lock while a slow provider lookup
 * (1.5 s) keeps it from buying; the proxy then stops forwarding. W1's lock runs out in Redis (it cannot
 * renew it), worker W2 (straight to Redis) takes order B on P and buys. W1 must not buy A while it is cut
 * off: before a buy it asks Redis how long the lock is still its own, and gets no answer. When the
 * connection comes back both orders are active, each bought once, never two buys on P at once.
 *
 * A buy the provider processes for long (2.4 s, within PROVIDER_TIMEOUT_MS) is what makes a buy under a
 * lock that may run out dangerous: buys are slow until W2 holds the lock, and lookups after W1's quick,
 * so that a buy W1 made anyway would still be processed when W2's arrives.
 */
import { loadavg } from 'node:os';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { createProviderClients } from '../../src/providers';
import type { ProviderClient } from '../../src/providers/types';
import { enqueueProvision } from '../../src/queue/provision-queue';
import { startProvisionWorker } from '../../workers/provision.worker';
import { checkSettlement, LogCapture, saveArtifacts, seconds } from '../support/fault-checks';
import { usePipeline } from '../support/pipeline';
import { startTcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait-for';

const PACKAGE = '105.301';
const FIND_MS = 1_500;
const SLOW_BUY_MS = 2_400;
/** PROVIDER_TIMEOUT_MS + BUY_GRACE_MS + 100 ≤ LOCK_TTL_MS, as the config requires. */
const SETTINGS = {
  LOCK_TTL_MS: '3000',
  PROVIDER_TIMEOUT_MS: '2500',
  BUY_GRACE_MS: '300',
  LOCK_RETRY_DELAY_MS: '50',
  // W1's job stays its own through the cut (its BullMQ lock outlives it): only the package lock runs out.
  JOB_LOCK_MS: '30000',
  POLL_INTERVAL_MS: '50',
  SHUTDOWN_TIMEOUT_MS: '3000',
  WORKER_CONCURRENCY: '5',
};

const p = usePipeline();

it('a worker cut off from Redis while holding a package lock does not buy once the lock may have run out', async () => {
  const t0 = Date.now();
  const violations: string[] = [];
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: p.env.redis.port });
  const config = p.config(SETTINGS);
  const queue = p.queue(config);
  const lockKey = `mutex:${config.queuePrefix}:package-lock:${PACKAGE}`;
  p.simulator.reset();
  p.simulator.setFaults({ latency: { find: [FIND_MS, FIND_MS], buy: [SLOW_BUY_MS, SLOW_BUY_MS], status: [0, 0] }, ipDelayMs: 200 });

  // W1, through the proxy, with every buy it starts noted (the simulator cannot tell the workers apart).
  const w1Log = new LogCapture();
  const base = createProviderClients(config.providers);
  const w1Buys: { orderReference: string; at: number }[] = [];
  const smartvps: ProviderClient = {
    name: base.smartvps.name,
    findPurchase: (reference, options) => base.smartvps.findPurchase(reference, options),
    getPurchase: (reference, options) => base.smartvps.getPurchase(reference, options),
    buy: (request, options) => {
      w1Buys.push({ orderReference: request.orderReference, at: Date.now() });
      return base.smartvps.buy(request, options);
    },
  };
  const w1 = await startProvisionWorker({
    config,
    redis: `redis://127.0.0.1:${proxy.port}`,
    db: p.db,
    providers: { ...base, smartvps },
    logger: createLogger({ level: 'info', name: 'w1' }, w1Log),
    metrics: createMetrics(),
    sweeper: false,
  });

  try {
    const orderA = await p.createOrder({ packageName: PACKAGE });
    // Named as every request names it, so the usual first run (lock, unread take beside the look-up) is what is cut off.
    const target = { provider: 'smartvps', packageName: PACKAGE } as const;
    await enqueueProvision(queue, orderA, 'admin', { target });
    // W1 holds P's lock and waits on the provider's lookup.
    await waitFor(async () => (await p.order(orderA)).provisioningStatus === 'provisioning' && p.simulator.stats().findRequests >= 1, {
      timeoutMs: 15_000,
      intervalMs: 10,
      message: 'W1 took order A and is looking it up',
    });
    const w1Token = await p.redis.get(lockKey);
    if (!w1Token) throw new Error('W1 does not hold the package lock');

    proxy.hang();
    const cutAt = Date.now();
    // W1's lookup is under way, slow; every later one is quick, so W2 is ready to buy as soon as it holds P.
    p.simulator.setFaults({ latency: { find: [0, 0] } });
    const w2 = await p.startWorker(config);
    const orderB = await p.createOrder({ packageName: PACKAGE });
    await enqueueProvision(queue, orderB, 'admin', { target });

    // W1's lock runs out in Redis and W2 takes P: from then on buys are quick too.
    await waitFor(async () => {
      const holder = await p.redis.get(lockKey);
      return holder !== null && holder !== w1Token;
    }, { timeoutMs: 15_000, intervalMs: 10, message: "W1's lock ran out and W2 took the package" });
    const lockGoneAt = Date.now();
    p.simulator.setFaults({ latency: { buy: [0, 0] } });

    // W2 buys B; W1 has made up its mind about A by then (it gave the attempt back, or bought).
    await waitFor(() => (p.simulator.stats().buys[orderB] ?? 0) >= 1, { timeoutMs: 15_000, message: 'W2 bought order B' });
    const boughtBAt = Date.now();
    await waitFor(async () => (await p.order(orderA)).attempts.some((entry) => entry.outcome === 'aborted') || w1Buys.length > 0, {
      timeoutMs: 15_000,
      message: 'W1 decided about order A',
    });
    const w1GaveUpAt = Date.now();
    const w1BuysWhileCut = w1Buys.filter((buy) => buy.at >= cutAt).length;
    if (w1BuysWhileCut > 0) violations.push(`W1 bought ${w1Buys.map((buy) => buy.orderReference).join(', ')} while cut off from Redis`);
    if (proxy.mode !== 'hang') violations.push('the cut ended too soon');

    await proxy.forward();
    const backAt = Date.now();
    await waitFor(async () => {
      const [a, b] = await Promise.all([p.order(orderA), p.order(orderB)]);
      return a.provisioningStatus === 'active' && b.provisioningStatus === 'active';
    }, { timeoutMs: 30_000, intervalMs: 50, message: 'orders A and B active' }).catch((error: Error) => violations.push(error.message));
    const settledAt = Date.now();

    const orders = await p.db.orders.find({ _id: { $in: [orderA, orderB] } }).lean();
    const settlement = checkSettlement(orders, p.simulator.stats(), 2);
    violations.push(...settlement.violations);
    const aborted = (await p.order(orderA)).attempts.find((entry) => entry.outcome === 'aborted');
    await w2.close();

    process.stdout.write(
      `\nredis cut-off: 2 orders on package ${PACKAGE}, 2 workers (W1 through a proxy, W2 direct); faults: W1 cut off from Redis for ${seconds(backAt - cutAt)} ` +
        `holding the lock (TTL ${SETTINGS.LOCK_TTL_MS} ms, lookup ${FIND_MS} ms); W1's lock gone after ${seconds(lockGoneAt - cutAt)}, ` +
        `W2 bought B after ${seconds(boughtBAt - cutAt)}; ` +
        `${aborted ? `W1 gave A back after ${seconds(w1GaveUpAt - cutAt)} ("${aborted.error ?? ''}")` : `W1 did not give A back (decided after ${seconds(w1GaveUpAt - cutAt)})`}, ` +
        `buys by W1 while cut off ${w1BuysWhileCut}; double buys ${settlement.doubleBuys}, concurrent buys ${settlement.concurrentBuys}, lost ${settlement.lost}, ` +
        `broken histories ${settlement.brokenHistories}; settled ${seconds(settledAt - backAt)} after the cut, whole run ${seconds(settledAt - t0)}; load ${loadavg()[0]?.toFixed(1)}\n`,
    );
  } finally {
    await proxy.forward();
    await w1.close();
    await proxy.close();
    if (violations.length > 0) {
      const dir = saveArtifacts('redis-cut-off-lock', { 'w1.log': w1Log.text(), 'violations.txt': violations.join('\n') });
      process.stderr.write(`redis cut-off: ${violations.length} violations, logs in ${dir}\n`);
    }
  }
  expect(violations).toEqual([]);
}, 90_000);
