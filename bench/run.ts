/**
 * `npm run bench`: makespan of paid orders against the provider-bound limit, the enqueue route against
 * the textbook route, webhook→buy latency, and memory, each figure beside its limit or peer measured in
 * the same run; raw BullMQ figures as context. The product's processes run with the shipped defaults
 * (and compose's NODE_OPTIONS); only the simulator's timing is set. Prints a table and writes
 * bench/results.json. Embedded Redis and MongoDB unless REDIS_URL / MONGO_URL (loopback only) are set.
 *
 * BENCH_SCALE (default 1) scales every size down for quick runs; BENCH_ONLY=latency,makespan,enqueue,
 * memory,context picks benches (makespan-fixed / makespan-realistic pick one makespan run).
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchContext } from './context';
import { benchEnqueue } from './enqueue';
import { benchLatency } from './latency';
import { appNodeOptions, startInfra } from './lib/infra';
import { formatTable, round, type BenchRow } from './lib/report';
import { benchMakespan, fixedScenario, realisticScenario } from './makespan';
import { benchMemory } from './memory';

const BENCHES = ['latency', 'makespan', 'enqueue', 'memory', 'context'] as const;
/** The realistic profile at this scale: buys in 50–150 ms, IPs after 1.5–6 s. */
const REALISTIC_SCALE = 0.05;

async function main(): Promise<void> {
  const scale = Number(process.env.BENCH_SCALE ?? 1);
  if (!(scale > 0 && scale <= 1)) throw new Error('BENCH_SCALE must be in (0, 1]');
  const only = new Set((process.env.BENCH_ONLY ?? BENCHES.join(',')).split(',').map((name) => name.trim()));
  const unknown = [...only].filter((name) => !(BENCHES as readonly string[]).includes(name) && name !== 'makespan-fixed' && name !== 'makespan-realistic');
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: unknown bench ${unknown.join(', ')} (known: ${BENCHES.join(', ')}, makespan-fixed, makespan-realistic)`);
  const size = (n: number, min = 1) => Math.max(min, Math.round(n * scale));
  const rows: BenchRow[] = [];
  const started = Date.now();
  const log = (message: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}`);
  // Other work on the machine skews every figure: record how busy it was before each bench.
  const loads: Record<string, number[]> = {};
  const load = () => loadavg().map((value) => round(value, 2));
  const errors: string[] = [];
  /** Runs one bench; a bench that fails is reported and the others still run. */
  const stage = async (name: string, run: () => Promise<BenchRow[]>) => {
    const now = load();
    loads[name] = now;
    log(`${name} (load average ${now.join(' ')})`);
    try {
      rows.push(...(await run()));
    } catch (error) {
      errors.push(`${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      log(`${name} FAILED: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  const loadBefore = load();
  const infra = await startInfra();
  log(`load average ${loadBefore.join(' ')}; Redis ${infra.redisUrl}, MongoDB ${infra.embeddedMongo ? 'embedded (JS stand-in)' : infra.mongoBase}, simulator ${infra.simulatorUrl}; app NODE_OPTIONS ${appNodeOptions() || '(none)'}`);
  try {
    // Latency first: it is measured on an idle system, before the other benches have filled any heap.
    if (only.has('latency')) await stage('latency', () => benchLatency(infra, { samples: size(200, 20) }));
    const makespanSize = { packages: size(20, 2), hostycare: size(100, 10) };
    if (only.has('makespan') || only.has('makespan-fixed')) {
      await stage('makespan, fixed timing', async () => [await benchMakespan(infra, fixedScenario(), makespanSize)]);
    }
    if (only.has('makespan') || only.has('makespan-realistic')) {
      await stage('makespan, realistic profile', async () => [await benchMakespan(infra, realisticScenario(REALISTIC_SCALE, makespanSize), makespanSize)]);
    }
    if (only.has('enqueue')) {
      await stage('enqueue', () => benchEnqueue(infra, { connections: 10, rounds: 4, requests: size(1000, 100), rate: 250, rateSeconds: Math.max(1, Math.round(4 * scale)) }));
    }
    if (only.has('memory')) await stage('memory', () => benchMemory(infra, { jobs: size(10_000, 200), maxSeconds: 30, requests: size(3000, 300) }));
    if (only.has('context')) await stage('context', () => benchContext(infra, { adds: size(5000, 500), jobs: size(5000, 500) }));
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
      nodeOptions: appNodeOptions() || null,
      loadAverage: { before: loadBefore, perBench: loads, after: load() },
    },
    errors,
    rows: rows.map((row) => ({ ...row, value: round(row.value, 2), ...(row.baseline ? { baseline: { ...row.baseline, value: round(row.baseline.value, 2) } } : {}) })),
    table,
  };
  writeFileSync(join(__dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote bench/results.json; ${rows.filter((row) => row.pass === false).length} target(s) missed; load average ${load().join(' ')}`);
  if (errors.length > 0) {
    console.error(`\n${errors.length} bench(es) failed:\n${errors.join('\n\n')}`);
    process.exitCode = 1;
  }
}

// Ctrl-C or a kill: exit, and the 'exit' hook in lib/infra.ts stops the children.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
