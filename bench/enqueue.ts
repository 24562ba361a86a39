import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { createProvisionQueue, PROVISION_JOB } from '../src/queue/provision-queue';
import { createRedis } from '../src/queue/redis';
import { cpuMeter, cpuPer, freePort, inLanes, sampleRss, seedOrders, sleep, type BenchInfra, type Child } from './lib/infra';
import { percentile, type BenchRow } from './lib/report';

export interface EnqueueOptions {
  connections: number;
  /** Requests in the throughput run (each to a distinct order). */
  requests: number;
  /** The fixed rate of the latency run, requests/s, and how long it lasts. */
  rate: number;
  rateSeconds: number;
}

const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const WARMUP = 300;

export interface EnqueueResult {
  rows: BenchRow[];
  /** The API child's RSS: idle after start, and the largest sample under load. */
  apiRss: { idleMb: number; loadMb: number; hwmMb: number };
}

/** Starts the API as its own process (`npm run api`) on a fresh queue prefix and database. */
export async function spawnApi(infra: BenchInfra, label: string, extraEnv: Record<string, string> = {}): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const child = await infra.spawnTs(
    'src/server.ts',
    {
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      MONGO_URL: infra.mongoUrl(label),
      REDIS_URL: infra.redisUrl,
      QUEUE_PREFIX: infra.prefix(label),
      ADMIN_TOKEN,
      ...extraEnv,
    },
    /API listening on (http\S+)/,
  );
  return { child, url: `http://127.0.0.1:${port}` };
}

/** autocannon POSTing provision requests, each for the next order of `ids`. */
async function cannon(url: string, ids: string[], options: { connections: number; amount: number; overallRate?: number }) {
  let next = 0;
  const result = await autocannon({
    url,
    connections: options.connections,
    amount: options.amount,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => ({ ...request, path: `/api/orders/${ids[next++] ?? 'exhausted'}/provision` }),
      },
    ],
  });
  if (next > ids.length) throw new Error(`autocannon used ${next} orders, only ${ids.length} were seeded`);
  const accepted = result.statusCodeStats?.['202']?.count ?? 0;
  return {
    rps: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    accepted,
    bad: result.non2xx + result.errors,
    codes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat?.count ?? 0])),
  };
}

/**
 * The enqueue path: `POST /api/orders/:id/provision` under load (each request a distinct failed
 * order, so each enqueues), against raw BullMQ `queue.add` with deduplication at the same
 * concurrency; then p99 at a fixed rate, against raw adds paced the same way.
 */
export async function benchEnqueue(infra: BenchInfra, options: EnqueueOptions): Promise<EnqueueResult> {
  const { connections, requests, rate, rateSeconds } = options;
  const rateRequests = rate * rateSeconds;
  const db = await infra.connect('enqueue');
  const slack = connections * 2;
  const ids = await seedOrders(
    db,
    Array.from({ length: WARMUP + requests + rateRequests + 3 * slack }, (_, i) => ({
      provider: 'smartvps' as const,
      packageName: `pkg-${i % 50}`,
      provisioningStatus: 'failed' as const,
      provisioningError: 'earlier attempt failed',
    })),
  );
  const api = await spawnApi(infra, 'enqueue');
  try {
    await sleep(500);
    const idle = sampleRss(api.child.pid).stop();
    let offset = 0;
    const take = (n: number) => ids.slice(offset, (offset += n + slack));

    await cannon(api.url, take(WARMUP), { connections, amount: WARMUP });
    const rss = sampleRss(api.child.pid);
    const cpu = cpuMeter({ api: api.child.pid, ...infra.pids, autocannon: 'self' });
    const load = await cannon(api.url, take(requests), { connections, amount: requests });
    const loadCpu = cpuPer(cpu.stop(), requests, 'request');
    const fixed = await cannon(api.url, take(rateRequests), { connections: Math.max(connections, 50), amount: rateRequests, overallRate: rate });
    const apiRss = rss.stop();
    if (load.bad > 0 || fixed.bad > 0) {
      throw new Error(`the API answered other than 202: ${JSON.stringify({ load: load.codes, fixed: fixed.codes })}`);
    }

    const raw = await rawAdds(infra, { connections, requests, rate, rateSeconds });
    const rows: BenchRow[] = [
      {
        bench: '1 enqueue',
        metric: `throughput, ${connections} connections`,
        unit: 'req/s',
        value: load.rps,
        baseline: { label: 'raw queue.add', value: raw.load.rps },
        target: '≥ 0.5× raw',
        pass: load.rps >= 0.5 * raw.load.rps,
        note: `ours: ${loadCpu}; raw: ${raw.cpu}`,
      },
      { bench: '1 enqueue', metric: 'p50 under load', unit: 'ms', value: load.p50, baseline: { label: 'raw queue.add', value: raw.load.p50 }, target: '', pass: null },
      { bench: '1 enqueue', metric: 'p99 under load', unit: 'ms', value: load.p99, baseline: { label: 'raw queue.add', value: raw.load.p99 }, target: '', pass: null },
      { bench: '1 enqueue', metric: `p50 at ${rate} req/s`, unit: 'ms', value: fixed.p50, baseline: { label: 'raw queue.add', value: raw.fixed.p50 }, target: '', pass: null },
      {
        bench: '1 enqueue',
        metric: `p99 at ${rate} req/s`,
        unit: 'ms',
        value: fixed.p99,
        baseline: { label: 'raw queue.add', value: raw.fixed.p99 },
        target: '≤ 25 ms',
        pass: fixed.p99 <= 25,
        note: `achieved ${fixed.rps.toFixed(0)} req/s`,
      },
    ];
    return { rows, apiRss: { idleMb: idle.maxMb, loadMb: apiRss.maxMb, hwmMb: apiRss.hwmMb } };
  } finally {
    await api.child.stop();
    await db.close();
    await infra.release('enqueue', 'enqueue-raw');
  }
}

/** The baseline: BullMQ `queue.add` with deduplication, as the API calls it, from this process. */
async function rawAdds(infra: BenchInfra, { connections, requests, rate, rateSeconds }: EnqueueOptions) {
  const redis = createRedis(infra.redisUrl, 'api');
  const queue = createProvisionQueue({ connection: redis, prefix: infra.prefix('enqueue-raw'), attempts: 4 });
  const idFor = (i: number) => (0x10000000 + i).toString(16).padStart(24, '0');
  let counter = 0;
  const add = async (): Promise<number> => {
    const orderId = idFor(counter++);
    const started = performance.now();
    const job = await queue.add(PROVISION_JOB, { orderId, reason: 'admin', requestedAt: new Date().toISOString() }, { jobId: `${orderId}-raw`, deduplication: { id: orderId } });
    if (job.id !== `${orderId}-raw`) throw new Error('raw add collapsed into an existing job');
    return performance.now() - started;
  };
  try {
    await inLanes(Array.from({ length: WARMUP }), connections, async () => void (await add()));

    const latencies: number[] = [];
    const cpu = cpuMeter({ redis: infra.pids.redis, client: 'self' });
    const started = performance.now();
    await inLanes(Array.from({ length: requests }), connections, async () => void latencies.push(await add()));
    const seconds = (performance.now() - started) / 1000;
    const used = cpu.stop();

    // Paced like autocannon's overallRate: a batch every 10 ms, not waiting for answers.
    const paced: number[] = [];
    const total = rate * rateSeconds;
    const perTick = Math.max(1, Math.round(rate / 100));
    const inFlight: Promise<void>[] = [];
    const begin = performance.now();
    for (let sent = 0; sent < total; ) {
      const due = begin + (sent / rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      for (let i = 0; i < perTick && sent < total; i += 1, sent += 1) inFlight.push(add().then((ms) => void paced.push(ms)));
    }
    await Promise.all(inFlight);
    return {
      load: { rps: requests / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
      cpu: cpuPer(used, requests, 'add'),
      fixed: { p50: percentile(paced, 50), p99: percentile(paced, 99) },
    };
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await redis.quit();
  }
}
