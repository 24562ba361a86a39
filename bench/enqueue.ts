import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { createProvisionQueue } from '../src/queue/provision-queue';
import { ADMIN_TOKEN, spawnApi } from './lib/app';
import { cpuMeter, cpuPer, freePort, seedOrders, sleep, type BenchInfra, type Child, type SeedOrder } from './lib/infra';
import { percentile, type BenchRow } from './lib/report';

export interface EnqueueOptions {
  connections: number;
  /** A/B rounds: each round runs both sides once, the first side alternating. */
  rounds: number;
  /** Requests per side and round in the throughput runs. */
  requests: number;
  /** The fixed rate of the latency runs, requests/s, and how long each lasts. */
  rate: number;
  rateSeconds: number;
}

const WARMUP = 300;
const THROUGHPUT_TARGET = 0.8;
const P99_TARGET = 1.5;

interface Side {
  name: 'ours' | 'textbook';
  url: string;
  child: Child;
  /** Failed orders not used yet: each request is a Retry of a fresh one, so each really enqueues. */
  ids: string[];
  sent: number;
  seconds: number;
  completed: number;
  latencies: number[];
  rateLatencies: number[];
  achievedRates: number[];
  roundRps: number[];
  cpu: Record<string, number>;
}

/** The textbook route (bench/textbook-api.ts) as its own process, on the same MongoDB database. */
async function spawnTextbook(infra: BenchInfra, label: string): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const child = await infra.spawnTs(
    'bench/textbook-api.ts',
    { PORT: String(port), MONGO_URL: infra.mongoUrl(label), REDIS_URL: infra.redisUrl, QUEUE_PREFIX: infra.prefix(`${label}-textbook`), ADMIN_TOKEN },
    /textbook API listening/,
  );
  return { child, url: `http://127.0.0.1:${port}` };
}

/** A provision run's outcome: throughput, every latency, the status codes. */
export interface ProvisionRun {
  rps: number;
  seconds: number;
  latencies: number[];
  codes: Record<string, number>;
  /** Answers other than 2xx, errors and timeouts. */
  bad: number;
}

/**
 * autocannon POSTing `POST /api/orders/:id/provision`, each request for the next order of `ids` (which
 * must hold `amount` plus a few spare); every latency kept.
 */
export function postProvisions(url: string, ids: string[], options: { connections: number; amount: number; overallRate?: number }): Promise<ProvisionRun> {
  let next = 0;
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // The run ends at its last answer: autocannon calls back on its next one-second tick, which would
    // round a 2-second run to whole seconds.
    let lastAnswerAt = started;
    const instance = autocannon(
      {
        url,
        connections: options.connections,
        amount: options.amount,
        ...(options.overallRate ? { overallRate: options.overallRate } : {}),
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        requests: [{ method: 'POST', setupRequest: (request) => ({ ...request, path: `/api/orders/${ids[next++] ?? 'exhausted'}/provision` }) }],
      },
      (error, result) => {
        if (error) return reject(error as Error);
        if (next > ids.length) return reject(new Error(`autocannon used ${next} orders, only ${ids.length} were set aside`));
        const seconds = (lastAnswerAt - started) / 1000;
        const codes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat?.count ?? 0]));
        resolve({ rps: result['2xx'] / seconds, seconds, latencies, codes, bad: result.non2xx + result.errors + result.timeouts });
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      latencies.push(responseTime);
      lastAnswerAt = performance.now();
    });
  });
}

/** Requests of one side, each for a fresh order of its own. */
function cannon(side: Side, options: { connections: number; amount: number; overallRate?: number }): Promise<ProvisionRun> {
  return postProvisions(side.url, side.ids.splice(0, options.amount + options.connections * 2), options);
}

/** Failed SmartVPS orders: a Retry of each enqueues a new job. */
export function failedOrders(count: number): SeedOrder[] {
  return Array.from({ length: count }, (_, i) => ({
    provider: 'smartvps' as const,
    packageName: `pkg-${i % 50}`,
    provisioningStatus: 'failed' as const,
    provisioningError: 'earlier attempt failed',
  }));
}

/**
 * The enqueue path: `POST /api/orders/:id/provision` (the product's API, `npm run api`) against the
 * textbook route (bench/textbook-api.ts), each request a Retry of a distinct failed order so that
 * both really enqueue, alternated A/B in rounds at the same concurrency: throughput, then latency at a
 * fixed rate.
 */
export async function benchEnqueue(infra: BenchInfra, options: EnqueueOptions): Promise<BenchRow[]> {
  const { connections, rounds, requests, rate, rateSeconds } = options;
  const label = 'enqueue';
  const db = await infra.connect(label);
  const perSide = WARMUP + rounds * (requests + rate * rateSeconds) + (2 * rounds + 1) * connections * 2;
  const oursIds = await seedOrders(db, failedOrders(perSide));
  const textbookIds = await seedOrders(db, failedOrders(perSide));
  const api = await spawnApi(infra, label);
  const textbook = await spawnTextbook(infra, label);
  const side = (name: Side['name'], process: { child: Child; url: string }, ids: string[]): Side => ({
    name,
    url: process.url,
    child: process.child,
    ids,
    sent: 0,
    seconds: 0,
    completed: 0,
    latencies: [],
    rateLatencies: [],
    achievedRates: [],
    roundRps: [],
    cpu: {},
  });
  const ours = side('ours', api, oursIds);
  const peer = side('textbook', textbook, textbookIds);
  const check = (who: Side, run: { codes: Record<string, number>; bad: number }) => {
    if (run.bad > 0) throw new Error(`${who.name} answered other than 202: ${JSON.stringify(run.codes)}`);
  };
  const measure = async (who: Side, run: () => Promise<void>) => {
    const cpu = cpuMeter({ api: who.child.pid, ...infra.pids, autocannon: 'self' });
    await run();
    for (const [name, ms] of Object.entries(cpu.stop())) who.cpu[name] = (who.cpu[name] ?? 0) + ms;
  };
  try {
    await sleep(500);
    for (const who of [ours, peer]) check(who, await cannon(who, { connections, amount: WARMUP }));
    for (let round = 0; round < rounds; round += 1) {
      for (const who of round % 2 === 0 ? [ours, peer] : [peer, ours]) {
        await measure(who, async () => {
          const run = await cannon(who, { connections, amount: requests });
          check(who, run);
          who.sent += requests;
          who.seconds += run.seconds;
          who.completed += run.latencies.length;
          who.latencies.push(...run.latencies);
          who.roundRps.push(run.rps);
        });
      }
    }
    for (let round = 0; round < rounds; round += 1) {
      for (const who of round % 2 === 0 ? [ours, peer] : [peer, ours]) {
        const run = await cannon(who, { connections, amount: rate * rateSeconds, overallRate: rate });
        check(who, run);
        who.rateLatencies.push(...run.latencies);
        who.achievedRates.push(run.rps);
      }
    }
    await assertEnqueued(infra, label, WARMUP + rounds * (requests + rate * rateSeconds));

    const rps = (who: Side) => who.completed / who.seconds;
    const p99 = (values: number[]) => percentile(values, 99);
    const perRound = ours.roundRps.map((value, i) => (value / (peer.roundRps[i] as number)).toFixed(2)).join(', ');
    const achieved = (who: Side) => `${Math.min(...who.achievedRates).toFixed(0)}–${Math.max(...who.achievedRates).toFixed(0)}`;
    const rows: BenchRow[] = [
      {
        bench: '2 enqueue',
        metric: `throughput, ${connections} connections (${rounds} A/B rounds × ${requests})`,
        unit: 'req/s',
        value: rps(ours),
        baseline: { label: 'textbook route', value: rps(peer) },
        target: `≥ ${THROUGHPUT_TARGET}× textbook`,
        pass: rps(ours) >= THROUGHPUT_TARGET * rps(peer),
        note: `ratio per round ${perRound}; ours: ${cpuPer(ours.cpu, ours.sent, 'request')}; textbook: ${cpuPer(peer.cpu, peer.sent, 'request')}`,
      },
      {
        bench: '2 enqueue',
        metric: 'p99 under that load',
        unit: 'ms',
        value: p99(ours.latencies),
        baseline: { label: 'textbook route', value: p99(peer.latencies) },
        target: '',
        pass: null,
        note: `p50 ${percentile(ours.latencies, 50).toFixed(1)} ms, textbook ${percentile(peer.latencies, 50).toFixed(1)} ms`,
      },
      {
        bench: '2 enqueue',
        metric: `p99 at ${rate} req/s (${rounds} A/B rounds × ${rateSeconds} s)`,
        unit: 'ms',
        value: p99(ours.rateLatencies),
        baseline: { label: 'textbook route', value: p99(peer.rateLatencies) },
        target: `≤ ${P99_TARGET}× textbook`,
        pass: p99(ours.rateLatencies) <= P99_TARGET * p99(peer.rateLatencies),
        note: `p50 ${percentile(ours.rateLatencies, 50).toFixed(1)} ms, textbook ${percentile(peer.rateLatencies, 50).toFixed(1)} ms; achieved ${achieved(ours)} req/s, textbook ${achieved(peer)} req/s`,
      },
    ];
    return rows;
  } finally {
    await api.child.stop();
    await textbook.child.stop();
    await db.close();
    await infra.release(label, `${label}-textbook`);
  }
}

/** Each 202 of ours really made a job: as many waiting in the queue as requests answered. */
async function assertEnqueued(infra: BenchInfra, label: string, expected: number): Promise<void> {
  const redis = await infra.apiRedis();
  const queue = createProvisionQueue({ connection: redis, prefix: infra.prefix(label), attempts: 1 });
  try {
    const { waiting = 0, prioritized = 0 } = await queue.getJobCounts('waiting', 'prioritized');
    if (waiting + prioritized !== expected) throw new Error(`enqueue: ${expected} requests answered 202 but ${waiting + prioritized} jobs are waiting`);
  } finally {
    await queue.close();
    await redis.quit();
  }
}
