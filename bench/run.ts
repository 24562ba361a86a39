/**
 * `npm run bench`: the enqueue path, the pipeline, head-of-line blocking, webhook→buy latency and
 * memory, each beside the baseline it is compared with, measured in the same run. Prints a table and
 * writes bench/results.json. Embedded Redis and MongoDB unless REDIS_URL / MONGO_URL are set.
 *
 * BENCH_SCALE (default 1) scales every size down for quick runs; BENCH_ONLY=enqueue,pipeline,
 * head-of-line,latency,memory picks benches.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchEnqueue, type EnqueueResult } from './enqueue';
import { benchHeadOfLine } from './head-of-line';
import { benchLatency } from './latency';
import { startInfra } from './lib/infra';
import { formatTable, round, type BenchRow } from './lib/report';
import { apiMemoryRow, benchWorkerMemory } from './memory';
import { benchPipeline } from './pipeline';

const BENCHES = ['enqueue', 'pipeline', 'head-of-line', 'latency', 'memory'] as const;

async function main(): Promise<void> {
  const scale = Number(process.env.BENCH_SCALE ?? 1);
  if (!(scale > 0 && scale <= 1)) throw new Error('BENCH_SCALE must be in (0, 1]');
  const only = new Set((process.env.BENCH_ONLY ?? BENCHES.join(',')).split(',').map((name) => name.trim()));
  const size = (n: number, min = 1) => Math.max(min, Math.round(n * scale));
  const rows: BenchRow[] = [];
  const started = Date.now();
  const log = (message: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}`);

  // Other work on the machine skews every figure: record how busy it was.
  const loadBefore = loadavg().map((value) => round(value, 2));
  const infra = await startInfra();
  log(`load average ${loadBefore.join(' ')}; Redis ${infra.redisUrl}, MongoDB ${infra.embeddedMongo ? 'embedded (JS stand-in)' : infra.mongoBase}, simulator ${infra.simulatorUrl}`);
  let enqueue: EnqueueResult | undefined;
  try {
    // Latency first: it is measured on an idle system, before the other benches have filled any heap.
    if (only.has('latency')) {
      log('4 latency');
      rows.push(...(await benchLatency(infra, { samples: size(200, 20) })));
    }
    if (only.has('enqueue') || only.has('memory')) {
      log('1 enqueue path');
      enqueue = await benchEnqueue(infra, { connections: 10, requests: size(5000, 200), rate: 1000, rateSeconds: Math.max(1, Math.round(5 * scale)) });
      if (only.has('enqueue')) rows.push(...enqueue.rows);
    }
    if (only.has('pipeline')) {
      log('2 pipeline');
      rows.push(...(await benchPipeline(infra, { orders: size(5000, 100) })));
    }
    if (only.has('head-of-line')) {
      log('3 head-of-line');
      rows.push(...(await benchHeadOfLine(infra, { orders: size(1000, 42) })));
    }
    if (only.has('memory')) {
      log('5 memory');
      const worker = await benchWorkerMemory(infra, { jobs: size(10_000, 200), maxSeconds: 30 });
      rows.push(worker.row);
      if (enqueue) rows.push(apiMemoryRow(enqueue.apiRss));
    }
  } finally {
    await infra.close();
  }

  rows.sort((a, b) => a.bench.localeCompare(b.bench));
  const table = formatTable(rows);
  console.log(`\n${table}\n`);
  const results = {
    at: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    scale,
    environment: {
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGb: round(totalmem() / 2 ** 30),
      mongo: infra.embeddedMongo ? 'embedded (JavaScript stand-in, own process)' : 'MONGO_URL',
      redis: process.env.REDIS_URL ? 'REDIS_URL' : 'embedded redis-server',
      appProcesses: process.env.BENCH_COMPILED === '1' ? 'compiled (dist/)' : 'tsx',
      nodeOptions: process.env.BENCH_NODE_OPTIONS ?? null,
      loadAverage: { before: loadBefore, after: loadavg().map((value) => round(value, 2)) },
    },
    rows: rows.map((row) => ({ ...row, value: round(row.value, 2), ...(row.baseline ? { baseline: { ...row.baseline, value: round(row.baseline.value, 2) } } : {}) })),
    table,
  };
  writeFileSync(join(__dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote bench/results.json; ${rows.filter((row) => row.pass === false).length} target(s) missed`);
}

// Ctrl-C or a kill: exit, and the 'exit' hook in lib/infra.ts stops the children.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
