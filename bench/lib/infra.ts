import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { AnyBulkWriteOperation } from 'mongoose';
import { connectDatabase, type Database } from '../../src/db/connection';
import type { Order } from '../../src/db/order-model';
import { connectedWithin, createRedis } from '../../src/queue/redis';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../dev/embedded-redis';
import type { SimulatorFaults, SimulatorStats } from '../../dev/simulator/simulator';

export const ROOT = join(__dirname, '..', '..');

/** Everything the benches share: Redis, MongoDB and the provider simulator, each in its own process. */
export interface BenchInfra {
  redisUrl: string;
  /** `mongodb://host:port/` without a database. */
  mongoBase: string;
  /** True when MongoDB is the embedded JavaScript stand-in (no MONGO_URL). */
  embeddedMongo: boolean;
  simulatorUrl: string;
  /** Processes of the infrastructure, for CPU accounting (absent: not ours to watch). */
  pids: { redis?: number; mongo?: number; simulator: number };
  /** A database URL unique to this run. */
  mongoUrl(label: string): string;
  /** A queue prefix unique to this run. */
  prefix(label: string): string;
  /** A Redis client of the API's kind (no offline queue), connected, for the bench's own queue calls. */
  apiRedis(): Promise<Redis>;
  connect(label: string): Promise<Database>;
  /** Drops the databases and queue keys of finished benches, so they weigh on none of the next. */
  release(...labels: string[]): Promise<void>;
  simulator: {
    faults(patch: SimulatorFaults): Promise<void>;
    reset(): Promise<void>;
    stats(): Promise<SimulatorStats>;
  };
  /** Starts a TypeScript entrypoint as its own Node process (`node --import tsx`), as `npm run …` does. */
  spawnTs(script: string, env: Record<string, string>, ready: RegExp, options?: SpawnOptions): Promise<Child>;
  close(): Promise<void>;
}

export interface SpawnOptions {
  timeoutMs?: number;
  /** Called with every line the child writes (stdout and stderr), e.g. to read its JSON log. */
  onLine?: (line: string) => void;
  /** Infrastructure (MongoDB, simulator): runs with V8's defaults, not the app's flags. */
  infra?: boolean;
  /** Run the compiled JavaScript under this directory (see lib/build.ts) instead of the TypeScript through tsx. */
  compiledDir?: string;
}

export interface Child {
  process: ChildProcess;
  pid: number;
  /** Output so far (stdout and stderr), bounded. */
  output(): string;
  /** The first match of the readiness pattern. */
  ready: RegExpExecArray;
  stop(): Promise<void>;
}

const runId = randomBytes(3).toString('hex');

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resident set size of a process, from /proc (Linux), in MB; null when unreadable. */
export function rssMb(pid: number): { rss: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
    return { rss: field('VmRSS'), peak: field('VmHWM') };
  } catch {
    return null;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; returns the largest sample and VmHWM. */
export function sampleRss(pid: number, everyMs = 100): { stop(): { maxMb: number; hwmMb: number; samples: number } } {
  let max = 0;
  let hwm = 0;
  let samples = 0;
  const take = () => {
    const now = rssMb(pid);
    if (!now) return;
    samples += 1;
    max = Math.max(max, now.rss);
    hwm = Math.max(hwm, now.peak);
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      take();
      clearInterval(timer);
      return { maxMb: max, hwmMb: hwm, samples };
    },
  };
}

/** CPU time (user + system) a process has used, in ms, from /proc; `self` is this process. */
export function cpuMs(pid: number | 'self'): number {
  if (pid === 'self') {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  }
  try {
    // Fields 14 and 15 (utime, stime) follow the parenthesised command name, in clock ticks (100 Hz).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** CPU used by each named process between start and stop, in ms. */
export function cpuMeter(pids: Record<string, number | 'self' | undefined>): { stop(): Record<string, number> } {
  const entries = Object.entries(pids).filter((entry): entry is [string, number | 'self'] => entry[1] !== undefined);
  const before = new Map(entries.map(([name, pid]) => [name, cpuMs(pid)]));
  return {
    stop: () => Object.fromEntries(entries.map(([name, pid]) => [name, cpuMs(pid) - (before.get(name) ?? 0)])),
  };
}

/** "api 1.20, mongo 0.90 ms" per unit of work: where the CPU went. */
export function cpuPer(used: Record<string, number>, units: number, unit: string): string {
  const parts = Object.entries(used)
    .filter(([, ms]) => Number.isFinite(ms))
    .map(([name, ms]) => `${name} ${(ms / units).toFixed(2)}`);
  return `CPU ms per ${unit}: ${parts.join(', ')}`;
}

/**
 * The V8 flags docker-compose.yml gives the API and worker containers (`NODE_OPTIONS`), read from the
 * file so the bench runs what is shipped. BENCH_NODE_OPTIONS replaces them (empty: V8's defaults).
 */
export function appNodeOptions(): string {
  if (process.env.BENCH_NODE_OPTIONS !== undefined) return process.env.BENCH_NODE_OPTIONS;
  try {
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    return /^\s*NODE_OPTIONS:\s*(\S.*?)\s*$/m.exec(compose)?.[1]?.replace(/^["']|["']$/g, '') ?? '';
  } catch {
    return '';
  }
}

const children = new Set<Child>();
// However the bench ends (an error, process.exit, a signal turned into an exit), no child outlives it.
process.once('exit', () => {
  for (const child of children) child.process.kill('SIGKILL');
});

async function spawnTs(script: string, env: Record<string, string>, ready: RegExp, options: SpawnOptions = {}): Promise<Child> {
  const { timeoutMs = 60_000, onLine, infra = false } = options;
  // BENCH_CPU_PROF=<dir>: every child writes a V8 CPU profile there when it exits.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // BENCH_COMPILED=1: the API and worker run the build (`npm run build`, dist/) as production does, not tsx.
  const product = script === 'src/server.ts' || script.startsWith('workers/');
  const compiledDir = product ? (options.compiledDir ?? (process.env.BENCH_COMPILED === '1' ? join(ROOT, 'dist') : undefined)) : undefined;
  const entry = compiledDir ? [join(compiledDir, script.replace(/\.ts$/, '.js'))] : ['--import', 'tsx', join(ROOT, script)];
  const nodeOptions = infra ? '' : appNodeOptions();
  const child = spawn(process.execPath, [...profile, ...entry], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      // The app's processes run with the V8 flags compose ships (or BENCH_NODE_OPTIONS).
      ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  /** A reader per stream: lines are whole within a stream, not across the two. */
  const reader = () => {
    let partial = '';
    return (chunk: Buffer) => {
      const text = chunk.toString();
      if (onLine) {
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) onLine(line);
      }
      output += text;
      // Bounded: a worker at info level writes lines for every job.
      if (output.length > 200_000) output = output.slice(-100_000);
    };
  };
  child.stdout?.on('data', reader());
  child.stderr?.on('data', reader());
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} not ready within ${timeoutMs} ms:\n${output.slice(-2000)}`)), timeoutMs);
    const check = () => {
      const found = ready.exec(output);
      if (found) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        child.stderr?.off('data', check);
        resolve(found);
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before it was ready:\n${output.slice(-2000)}`));
    });
  });
  const handle: Child = {
    process: child,
    pid: child.pid as number,
    output: () => output,
    ready: match,
    stop: async () => {
      children.delete(handle);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  children.add(handle);
  return handle;
}

/** The bench talks to loopback only: a REDIS_URL or MONGO_URL naming another host is refused. */
function assertLoopback(name: string, url: string | undefined): void {
  if (!url) return;
  const host = /^[a-z+]+:\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/?,]+)/i.exec(url)?.[1]?.toLowerCase();
  const loopback = host === 'localhost' || host === '[::1]' || (host !== undefined && /^127\.\d+\.\d+\.\d+$/.test(host));
  if (!loopback || url.includes(',')) throw new Error(`${name} must point at this machine (localhost, 127.x.x.x or [::1]): the bench sends no traffic elsewhere`);
}

/** Starts (or, with REDIS_URL / MONGO_URL, uses) Redis and MongoDB, and starts the simulator. */
export async function startInfra(): Promise<BenchInfra> {
  assertLoopback('REDIS_URL', process.env.REDIS_URL);
  assertLoopback('MONGO_URL', process.env.MONGO_URL);
  let redis: EmbeddedRedis | undefined;
  let mongoChild: Child | undefined;
  let simChild: Child;
  const embeddedMongo = !process.env.MONGO_URL;
  try {
    if (!process.env.REDIS_URL) redis = await startEmbeddedRedis();
    if (embeddedMongo) mongoChild = await spawnTs('bench/lib/mongo-child.ts', { NODE_ENV: 'development' }, /^MONGO (\S+)$/m, { infra: true });
    const simPort = await freePort();
    simChild = await spawnTs('dev/simulator/main.ts', { SIMULATOR_PORT: String(simPort) }, /^Simulator\s+(http\S+)$/m, { infra: true });
  } catch (error) {
    for (const child of [...children]) await child.stop();
    await redis?.stop();
    throw error;
  }
  const redisUrl = process.env.REDIS_URL ?? (redis as EmbeddedRedis).url;
  const mongoBase = (process.env.MONGO_URL ?? (mongoChild?.ready[1] as string)).replace(/\/[^/]*$/, '/');
  const simulatorUrl = simChild.ready[1] as string;
  const databases: string[] = [];

  const control = async (path: string, body?: unknown) => {
    const res = await fetch(`${simulatorUrl}/__sim/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`simulator ${path}: ${res.status} ${await res.text()}`);
    await res.body?.cancel();
  };

  const infra: BenchInfra = {
    redisUrl,
    mongoBase,
    embeddedMongo,
    simulatorUrl,
    pids: { ...(redis?.pid ? { redis: redis.pid } : {}), ...(mongoChild ? { mongo: mongoChild.pid } : {}), simulator: simChild.pid },
    mongoUrl: (label) => {
      const name = `bench_${label}_${runId}`;
      if (!databases.includes(name)) databases.push(name);
      return `${mongoBase}${name}`;
    },
    prefix: (label) => `{bench-${label}-${runId}}`,
    apiRedis: async () => {
      const client = createRedis(redisUrl, 'api');
      if (!(await connectedWithin(client, 10_000))) throw new Error(`Redis at ${redisUrl} did not answer within 10 s`);
      return client;
    },
    connect: (label) => connectDatabase(infra.mongoUrl(label)),
    release: async (...labels) => {
      const { Redis } = await import('ioredis');
      const client = new Redis(redisUrl);
      try {
        for (const label of labels) {
          const db = await connectDatabase(infra.mongoUrl(label));
          await db.connection.dropDatabase();
          await db.close();
          let cursor = '0';
          do {
            const [next, keys] = await client.scan(cursor, 'MATCH', `${infra.prefix(label)}*`, 'COUNT', 1000);
            cursor = next;
            if (keys.length > 0) await client.del(...keys);
          } while (cursor !== '0');
        }
      } finally {
        await client.quit();
      }
    },
    simulator: {
      faults: (patch) => control('faults', patch),
      reset: () => control('reset'),
      stats: async () => {
        const res = await fetch(`${simulatorUrl}/__sim/stats`);
        if (!res.ok) throw new Error(`simulator stats: ${res.status} ${await res.text()}`);
        return (await res.json()) as SimulatorStats;
      },
    },
    spawnTs,
    close: async () => {
      for (const child of [...children].reverse()) await child.stop();
      if (!embeddedMongo) {
        // A real server keeps data: drop what the run made.
        for (const name of databases) {
          const db = await connectDatabase(`${mongoBase}${name}`).catch(() => null);
          await db?.connection.dropDatabase();
          await db?.close();
        }
      }
      if (redis) await redis.stop();
      else {
        // A shared Redis: remove this run's queues and locks.
        const { Redis } = await import('ioredis');
        const client = new Redis(redisUrl);
        let cursor = '0';
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', `{bench-*-${runId}}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await client.del(...keys);
        } while (cursor !== '0');
        await client.quit();
      }
    },
  };
  return infra;
}

export interface SeedOrder {
  provider: 'smartvps' | 'hostycare';
  packageName?: string | null;
  status?: Order['status'];
  provisioningStatus?: Order['provisioningStatus'];
  provisioningError?: string | null;
}

/** Inserts orders in bulk (with the model's defaults) and returns their ids, in order. */
export async function seedOrders(db: Database, orders: SeedOrder[]): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < orders.length; start += 1000) {
    const batch = orders.slice(start, start + 1000).map((fields) => {
      const doc = new db.orders({
        status: 'paid',
        plan: '4gb',
        os: 'ubuntu-22.04',
        autoProvisioned: true,
        ...fields,
        packageName: fields.provider === 'smartvps' ? (fields.packageName ?? '103.101') : null,
      }).toObject();
      doc.createdAt = new Date();
      doc.updatedAt = doc.createdAt;
      ids.push(String(doc._id));
      return { insertOne: { document: doc } } as AnyBulkWriteOperation<Order>;
    });
    await db.orders.bulkWrite(batch, { ordered: false });
  }
  return ids;
}

/** Runs `task` over `items` with `concurrency` lanes. */
export async function inLanes<T>(items: T[], concurrency: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `condition` holds or the time is up; returns whether it held. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await sleep(everyMs);
  }
  return condition();
}
