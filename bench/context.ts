import { performance } from 'node:perf_hooks';
import { Worker } from 'bullmq';
import { loadConfig } from '../src/config';
import { createProvisionQueue, PROVISION_JOB, PROVISION_QUEUE } from '../src/queue/provision-queue';
import { createRedis } from '../src/queue/redis';
import { cpuMeter, cpuPer, inLanes, type BenchInfra } from './lib/infra';
import type { BenchRow } from './lib/report';

// Context, no targets: what BullMQ alone does on this machine and this Redis, from the bench's process.

const idFor = (i: number) => (0x10000000 + i).toString(16).padStart(24, '0');

/** BullMQ `queue.add` with deduplication, as the API calls it, from `connections` concurrent loops. */
async function rawAdds(infra: BenchInfra, { adds, connections }: { adds: number; connections: number }): Promise<BenchRow> {
  const redis = await infra.apiRedis();
  const queue = createProvisionQueue({ connection: redis, prefix: infra.prefix('context-add'), attempts: 4 });
  let counter = 0;
  const add = async () => {
    const orderId = idFor(counter++);
    const job = await queue.add(PROVISION_JOB, { orderId, reason: 'admin', requestedAt: new Date().toISOString() }, { jobId: `${orderId}-raw`, deduplication: { id: orderId } });
    if (job.id !== `${orderId}-raw`) throw new Error('raw add collapsed into an existing job');
  };
  try {
    await inLanes(Array.from({ length: 300 }), connections, add);
    const cpu = cpuMeter({ redis: infra.pids.redis, client: 'self' });
    const started = performance.now();
    await inLanes(Array.from({ length: adds }), connections, add);
    const seconds = (performance.now() - started) / 1000;
    return {
      bench: '5 context',
      metric: `raw BullMQ queue.add with deduplication, ${connections} loops`,
      unit: 'adds/s',
      value: adds / seconds,
      target: '',
      pass: null,
      note: cpuPer(cpu.stop(), adds, 'add'),
    };
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await redis.quit();
  }
}

/** A BullMQ worker with a no-op processor at the shipped concurrency, over `jobs` jobs. */
async function noopWorker(infra: BenchInfra, { jobs }: { jobs: number }): Promise<BenchRow> {
  const { concurrency } = loadConfig({ NODE_ENV: 'development' }).worker;
  const prefix = infra.prefix('context-noop');
  const redis = await infra.apiRedis();
  const queue = createProvisionQueue({ connection: redis, prefix, attempts: 4 });
  const connection = createRedis(infra.redisUrl, 'worker');
  try {
    for (let start = 0; start < jobs; start += 1000) {
      const batch = Array.from({ length: Math.min(1000, jobs - start) }, (_, i) => ({
        name: PROVISION_JOB as typeof PROVISION_JOB,
        data: { orderId: idFor(start + i), reason: 'payment' as const, requestedAt: new Date().toISOString() },
      }));
      await queue.addBulk(batch);
    }
    let done = 0;
    const cpu = cpuMeter({ worker: 'self', redis: infra.pids.redis });
    const started = performance.now();
    const worker = new Worker(PROVISION_QUEUE, async () => undefined, { connection, prefix, concurrency });
    const seconds = await new Promise<number>((resolve) => {
      worker.on('completed', () => {
        done += 1;
        if (done === jobs) resolve((performance.now() - started) / 1000);
      });
    });
    const used = cpu.stop();
    await worker.close();
    return {
      bench: '5 context',
      metric: `no-op BullMQ worker, concurrency ${concurrency}, ${jobs} jobs`,
      unit: 'jobs/s',
      value: jobs / seconds,
      target: '',
      pass: null,
      note: cpuPer(used, jobs, 'job'),
    };
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await redis.quit();
    await connection.quit().catch(() => connection.disconnect());
  }
}

/** The context rows: raw adds and a no-op worker. */
export async function benchContext(infra: BenchInfra, { adds, jobs }: { adds: number; jobs: number }): Promise<BenchRow[]> {
  try {
    return [await rawAdds(infra, { adds, connections: 10 }), await noopWorker(infra, { jobs })];
  } finally {
    await infra.release('context-add', 'context-noop');
  }
}
