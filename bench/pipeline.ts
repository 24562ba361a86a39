import { performance } from 'node:perf_hooks';
import { Worker } from 'bullmq';
import { createProvisionQueue, PROVISION_JOB, PROVISION_QUEUE } from '../src/queue/provision-queue';
import { createRedis } from '../src/queue/redis';
import { cpuMeter, cpuPer, seedOrders, type BenchInfra } from './lib/infra';
import type { BenchRow } from './lib/report';
import { benchConfig, completions, dropQueue, enqueueAll, startWorker } from './lib/worker';

/**
 * The pipeline: `orders` paid orders (half SmartVPS over many packages, half Hostycare) provisioned
 * by an in-process worker against a zero-latency simulator, against a raw BullMQ worker running
 * no-op jobs at the same concurrency.
 */
export async function benchPipeline(infra: BenchInfra, { orders }: { orders: number }): Promise<BenchRow[]> {
  await infra.simulator.reset();
  await infra.simulator.faults({ latencyMs: 0, ipDelayMs: 0 });
  const config = benchConfig(infra, 'pipeline');
  const db = await infra.connect('pipeline');
  try {
    const ids = await seedOrders(
      db,
      Array.from({ length: orders }, (_, i) => (i % 2 === 0 ? { provider: 'smartvps' as const, packageName: `pkg-${i % 1000}` } : { provider: 'hostycare' as const })),
    );
    await enqueueAll(config, ids);
    const cpu = cpuMeter({ worker: 'self', ...infra.pids });
    const worker = await startWorker(config, db);
    let oursMs: number;
    let oursCpu: string;
    try {
      oursMs = await completions(worker, orders, 600_000);
      oursCpu = cpuPer(cpu.stop(), orders, 'job');
    } finally {
      await worker.close();
      await dropQueue(config);
    }
    const active = await db.orders.countDocuments({ provisioningStatus: 'active' });
    if (active !== orders) throw new Error(`pipeline: ${active} of ${orders} orders active`);

    const raw = await rawWorker(infra, orders, config.worker.concurrency);
    const rawMs = raw.ms;
    const ours = orders / (oursMs / 1000);
    const rawRate = orders / (rawMs / 1000);
    return [
      {
        bench: '2 pipeline',
        metric: `${orders} orders, concurrency ${config.worker.concurrency}`,
        unit: 'jobs/s',
        value: ours,
        baseline: { label: 'raw no-op worker', value: rawRate },
        target: '≥ 0.4× raw',
        pass: ours >= 0.4 * rawRate,
        note: `${(oursMs / 1000).toFixed(1)} s vs ${(rawMs / 1000).toFixed(1)} s; ours: ${oursCpu}; raw: ${raw.cpu}`,
      },
    ];
  } finally {
    await db.close();
    await infra.release('pipeline', 'pipeline-raw');
  }
}

/** A BullMQ worker with a no-op processor over the same number of jobs, same options. */
async function rawWorker(infra: BenchInfra, jobs: number, concurrency: number): Promise<{ ms: number; cpu: string }> {
  const prefix = infra.prefix('pipeline-raw');
  const redis = createRedis(infra.redisUrl, 'api');
  const queue = createProvisionQueue({ connection: redis, prefix, attempts: 4 });
  for (let start = 0; start < jobs; start += 1000) {
    const batch = Array.from({ length: Math.min(1000, jobs - start) }, (_, i) => ({
      name: PROVISION_JOB as typeof PROVISION_JOB,
      data: { orderId: (start + i).toString(16).padStart(24, '0'), reason: 'payment' as const, requestedAt: new Date().toISOString() },
    }));
    await queue.addBulk(batch);
  }
  const connection = createRedis(infra.redisUrl, 'worker');
  let done = 0;
  const cpu = cpuMeter({ worker: 'self', redis: infra.pids.redis });
  const started = performance.now();
  const worker = new Worker(PROVISION_QUEUE, async () => undefined, { connection, prefix, concurrency });
  const elapsed = await new Promise<number>((resolve) => {
    worker.on('completed', () => {
      done += 1;
      if (done === jobs) resolve(performance.now() - started);
    });
  });
  const used = cpuPer(cpu.stop(), jobs, 'job');
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  await redis.quit();
  await connection.quit().catch(() => connection.disconnect());
  return { ms: elapsed, cpu: used };
}
