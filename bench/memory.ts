import { createProvisionQueue, enqueueProvision } from '../src/queue/provision-queue';
import { failedOrders, postProvisions } from './enqueue';
import { spawnApi, spawnWorker, type LogLine } from './lib/app';
import { buildProduct } from './lib/build';
import { appNodeOptions, inLanes, sampleRss, seedOrders, sleep, until, type BenchInfra } from './lib/infra';
import type { BenchRow } from './lib/report';

export interface MemoryOptions {
  /** Jobs queued for the worker. */
  jobs: number;
  /** How long the worker is watched working through them, at most. */
  maxSeconds: number;
  /** Provision requests the API is sent (10 connections), then as many again at a fixed 250 req/s. */
  requests: number;
}

/**
 * Memory as the compose file runs the product: the compiled build (`node dist/...`) with its
 * NODE_OPTIONS. The worker's RSS (from /proc) while it works through `jobs` queued jobs, and the API's
 * while it answers provision requests; each against the same process idle.
 */
export async function benchMemory(infra: BenchInfra, options: MemoryOptions): Promise<BenchRow[]> {
  const flags = appNodeOptions() || 'V8 defaults';
  const build = await buildProduct();
  try {
    const worker = await workerMemory(infra, build.dir, options);
    const api = await apiMemory(infra, build.dir, options);
    const how = `compiled (tsc ${build.seconds.toFixed(0)} s), NODE_OPTIONS ${flags}`;
    return [
      {
        bench: '4 memory',
        metric: `worker RSS, ${options.jobs} jobs queued (${worker.taken} taken, ${worker.active} active in ${options.maxSeconds} s)`,
        unit: 'MB',
        value: worker.loadedMb,
        baseline: { label: 'idle worker', value: worker.idleMb },
        target: '≤ 200 MB',
        pass: worker.loadedMb <= 200,
        note: how,
      },
      {
        bench: '4 memory',
        metric: `API RSS under load (${options.requests} provision requests, then ${options.requests} at 250 req/s)`,
        unit: 'MB',
        value: api.loadedMb,
        baseline: { label: 'idle API', value: api.idleMb },
        target: '≤ 150 MB',
        pass: api.loadedMb <= 150,
        note: `${how}; ${api.rps.toFixed(0)} req/s`,
      },
    ];
  } finally {
    build.remove();
  }
}

async function workerMemory(infra: BenchInfra, compiledDir: string, { jobs, maxSeconds }: MemoryOptions) {
  await infra.simulator.reset();
  await infra.simulator.faults({ latencyMs: 0, ipDelayMs: 0 });
  const idleWorker = await spawnWorker(infra, 'memory-idle', { compiledDir });
  await sleep(1500);
  const idle = sampleRss(idleWorker.pid).stop();
  await idleWorker.stop();

  const label = 'memory';
  const db = await infra.connect(label);
  const redis = await infra.apiRedis();
  const queue = createProvisionQueue({ connection: redis, prefix: infra.prefix(label), attempts: 4 });
  try {
    const ids = await seedOrders(
      db,
      Array.from({ length: jobs }, (_, i) => (i % 2 === 0 ? { provider: 'smartvps' as const, packageName: `pkg-${i % 1000}` } : { provider: 'hostycare' as const })),
    );
    await inLanes(ids, 20, async (id) => void (await enqueueProvision(queue, id, 'payment')));
    let taken = 0;
    let active = 0;
    const onLog = (line: LogLine) => {
      if (line.msg === 'provisioning') taken += 1;
      else if (line.msg === 'order is active') active += 1;
    };
    const worker = await spawnWorker(infra, label, { compiledDir, onLog });
    const rss = sampleRss(worker.pid);
    await until(() => active >= jobs, maxSeconds * 1000, 500);
    const loaded = rss.stop();
    await worker.stop();
    return { idleMb: idle.maxMb, loadedMb: loaded.maxMb, taken, active };
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await redis.quit();
    await db.close();
    await infra.release(label, 'memory-idle');
  }
}

async function apiMemory(infra: BenchInfra, compiledDir: string, { requests }: MemoryOptions) {
  const label = 'memory-api';
  const db = await infra.connect(label);
  const connections = 10;
  const ids = await seedOrders(db, failedOrders(2 * requests + 300 + 6 * connections));
  const api = await spawnApi(infra, label, { compiledDir });
  try {
    await sleep(1000);
    const idle = sampleRss(api.child.pid).stop();
    let offset = 0;
    const take = (n: number) => ids.slice(offset, (offset += n + 2 * connections));
    await postProvisions(api.url, take(300), { connections, amount: 300 });
    const rss = sampleRss(api.child.pid);
    const load = await postProvisions(api.url, take(requests), { connections, amount: requests });
    const fixed = await postProvisions(api.url, take(requests), { connections, amount: requests, overallRate: 250 });
    const loaded = rss.stop();
    if (load.bad + fixed.bad > 0) throw new Error(`memory: the API answered other than 202: ${JSON.stringify({ load: load.codes, fixed: fixed.codes })}`);
    return { idleMb: idle.maxMb, loadedMb: loaded.maxMb, rps: load.rps };
  } finally {
    await api.child.stop();
    await db.close();
    await infra.release(label);
  }
}
