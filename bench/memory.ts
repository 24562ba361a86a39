import { createProvisionQueue } from '../src/queue/provision-queue';
import { createRedis } from '../src/queue/redis';
import { sampleRss, seedOrders, sleep, until, type BenchInfra } from './lib/infra';
import type { BenchRow } from './lib/report';
import { benchConfig, enqueueAll } from './lib/worker';

/** `npm run worker` as a child process, on a queue prefix and database of its own. */
function spawnWorker(infra: BenchInfra, label: string) {
  return infra.spawnTs(
    'workers/provision.worker.ts',
    {
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      MONGO_URL: infra.mongoUrl(label),
      REDIS_URL: infra.redisUrl,
      QUEUE_PREFIX: infra.prefix(label),
      SIMULATOR_URL: infra.simulatorUrl,
      POLL_INTERVAL_MS: '10',
    },
    /worker started/,
  );
}

/**
 * Worker memory: a worker process (as `npm run worker` starts it) with `jobs` jobs queued, its RSS
 * read from /proc while it works through them (for at most `maxSeconds`); against the same worker idle.
 */
export async function benchWorkerMemory(infra: BenchInfra, { jobs, maxSeconds }: { jobs: number; maxSeconds: number }): Promise<{ row: BenchRow; processed: number }> {
  await infra.simulator.reset();
  await infra.simulator.faults({ latencyMs: 0, ipDelayMs: 0 });

  const idleWorker = await spawnWorker(infra, 'memory-idle');
  await sleep(1500);
  const idle = sampleRss(idleWorker.pid).stop();
  await idleWorker.stop();

  const label = 'memory';
  const config = benchConfig(infra, label);
  const db = await infra.connect(label);
  const redis = createRedis(infra.redisUrl, 'api');
  const queue = createProvisionQueue({ connection: redis, prefix: config.queuePrefix, attempts: config.worker.attempts });
  try {
    const ids = await seedOrders(
      db,
      Array.from({ length: jobs }, (_, i) => (i % 2 === 0 ? { provider: 'smartvps' as const, packageName: `pkg-${i % 1000}` } : { provider: 'hostycare' as const })),
    );
    await enqueueAll(config, ids);
    const worker = await spawnWorker(infra, label);
    const rss = sampleRss(worker.pid);
    let processed = 0;
    await until(
      async () => {
        processed = (await queue.getJobCounts('completed', 'failed')).completed ?? 0;
        return processed >= jobs;
      },
      maxSeconds * 1000,
      500,
    );
    const loaded = rss.stop();
    await worker.stop();
    return {
      processed,
      row: {
        bench: '5 memory',
        metric: `worker RSS, ${jobs} jobs queued (${processed} done in the window)`,
        unit: 'MB',
        value: loaded.maxMb,
        baseline: { label: 'idle worker', value: idle.maxMb },
        target: '≤ 200 MB',
        pass: loaded.maxMb <= 200,
      },
    };
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await redis.quit();
    await db.close();
    await infra.release('memory', 'memory-idle');
  }
}

/** The API's RSS under the enqueue bench's load (sampled there), against the idle API. */
export function apiMemoryRow(apiRss: { idleMb: number; loadMb: number }): BenchRow {
  return {
    bench: '5 memory',
    metric: 'API RSS under load (bench 1)',
    unit: 'MB',
    value: apiRss.loadMb,
    baseline: { label: 'idle API', value: apiRss.idleMb },
    target: '≤ 150 MB',
    pass: apiRss.loadMb <= 150,
  };
}
