import { SIMULATOR_API_KEYS } from '../dev/simulator/simulator';
import { createProvisionQueue } from '../src/queue/provision-queue';
import { sendPayment, spawnApi, spawnWorker } from './lib/app';
import { seedOrders, sleep, until, type BenchInfra } from './lib/infra';
import { percentile, type BenchRow } from './lib/report';

/**
 * Webhooks are sent this far apart. A purchase's first status call comes 1 s after its buy (the shipped
 * poll cadence), so with 400 ms between webhooks the earlier orders' polls fall 200 ms after one webhook
 * or 200 ms before it: never inside the ≤ 100 ms being measured. The system is otherwise idle.
 */
const SPACING_MS = 400;
const WARMUP = 10;

/** When the simulator processed each SmartVPS buy (the purchase's creation, at latency 0), by order. */
async function buysReceived(simulatorUrl: string): Promise<Map<string, number>> {
  const res = await fetch(`${simulatorUrl}/smartvps/v1/servers`, { headers: { 'x-api-key': SIMULATOR_API_KEYS.smartvps } });
  const body = (await res.json()) as { servers: { reference: string; created_at: string }[] };
  return new Map(body.servers.map((server) => [server.reference, Date.parse(server.created_at)]));
}

/**
 * Latency on an idle system: a signed payment webhook sent to the API (`npm run api`) → the simulator
 * receives the buy from the worker (`npm run worker`, shipped defaults). One webhook every SPACING_MS,
 * each order on a package of its own, so no lock wait is measured.
 */
export async function benchLatency(infra: BenchInfra, { samples }: { samples: number }): Promise<BenchRow[]> {
  const label = 'latency';
  await infra.simulator.reset();
  await infra.simulator.faults({ latencyMs: 0, ipDelayMs: 0 });
  const db = await infra.connect(label);
  const taken = new Map<string, number>();
  const api = await spawnApi(infra, label);
  const worker = await spawnWorker(infra, label, { onLog: (line) => void (line.msg === 'provisioning' && line.orderId && taken.set(line.orderId, line.time)) });
  const redis = await infra.apiRedis();
  const queue = createProvisionQueue({ connection: redis, prefix: infra.prefix(label), attempts: 1 });
  try {
    const ids = await seedOrders(
      db,
      Array.from({ length: samples + WARMUP }, (_, i) => ({ provider: 'smartvps' as const, packageName: `lat-${i}`, status: 'pending' as const })),
    );
    const sentAt = new Map<string, number>();
    const begin = Date.now();
    for (const [i, orderId] of ids.entries()) {
      const due = begin + i * SPACING_MS;
      if (due > Date.now()) await sleep(due - Date.now());
      await sendPayment(api.url, orderId, () => sentAt.set(orderId, Date.now()));
    }
    const allActive = await until(async () => (await db.orders.countDocuments({ provisioningStatus: 'active' })) === ids.length, 30_000, 250);
    if (!allActive) throw new Error('latency: not every order became active within 30 s of the last webhook');
    const received = await buysReceived(infra.simulatorUrl);
    const jobs = await queue.getJobs(['completed'], 0, -1);
    const addedAt = new Map(jobs.map((job) => [job.data.orderId, job.timestamp]));

    const latencies: number[] = [];
    const stages = { webhook: [] as number[], take: [] as number[], buy: [] as number[] };
    for (const orderId of ids.slice(WARMUP)) {
      const sent = sentAt.get(orderId) as number;
      const bought = received.get(orderId);
      if (bought === undefined) throw new Error(`latency: the simulator has no purchase for ${orderId}`);
      latencies.push(bought - sent);
      const added = addedAt.get(orderId);
      const took = taken.get(orderId);
      if (added === undefined || took === undefined) continue;
      stages.webhook.push(added - sent);
      stages.take.push(took - added);
      stages.buy.push(bought - took);
    }
    const show = (values: number[]) => `p50 ${percentile(values, 50)} / p99 ${percentile(values, 99)} ms`;
    const note = `webhook sent → job added ${show(stages.webhook)}; job added → order taken (pickup, read, lock, take) ${show(stages.take)}; taken → buy received (look-up, buy) ${show(stages.buy)}`;
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    return [
      { bench: '3 latency', metric: `webhook sent → buy received, p50 (${samples})`, unit: 'ms', value: p50, target: '≤ 20 ms', pass: p50 <= 20, note },
      { bench: '3 latency', metric: `webhook sent → buy received, p99 (${samples})`, unit: 'ms', value: p99, target: '≤ 100 ms', pass: p99 <= 100 },
    ];
  } finally {
    await worker.stop();
    await api.child.stop();
    await queue.close();
    await redis.quit();
    await db.close();
    await infra.release(label);
  }
}
