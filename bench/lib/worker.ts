import { performance } from 'node:perf_hooks';
import { loadConfig, type Config } from '../../src/config';
import type { Database } from '../../src/db/connection';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { createProviderClients } from '../../src/providers';
import { createProvisionQueue, enqueueProvision } from '../../src/queue/provision-queue';
import { createRedis } from '../../src/queue/redis';
import { startProvisionWorker, type RunningProvisionWorker } from '../../workers/provision.worker';
import { inLanes, type BenchInfra } from './infra';

/** A worker config as an operator would set it for these runs: defaults, a short poll, the simulator. */
export function benchConfig(infra: BenchInfra, label: string, overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'development',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    MONGO_URL: infra.mongoUrl(label),
    REDIS_URL: infra.redisUrl,
    SIMULATOR_URL: infra.simulatorUrl,
    QUEUE_PREFIX: infra.prefix(label),
    POLL_INTERVAL_MS: '10',
    ...overrides,
  });
}

/** An in-process provision worker (no sweeper) with the provider clients `npm run worker` builds. */
export async function startWorker(config: Config, db: Database): Promise<RunningProvisionWorker> {
  const metrics = createMetrics();
  return startProvisionWorker({
    config,
    redis: config.redis ?? (config.redisUrl as string),
    db,
    providers: createProviderClients({
      smartvps: config.providers.smartvps,
      hostycare: config.providers.hostycare,
      timeoutMs: config.providers.timeoutMs,
      onCall: ({ provider, operation, outcome, durationMs }) => metrics.providerCall.observe({ provider, operation, outcome }, durationMs / 1000),
    }),
    logger: createLogger({ level: config.logLevel, name: 'bench-worker' }),
    metrics,
    sweeper: false,
  });
}

/** Enqueues provisioning for each order as the API and webhooks do (one job per order). */
export async function enqueueAll(config: Config, ids: string[]): Promise<void> {
  const redis = createRedis(config.redisUrl as string, 'api');
  const queue = createProvisionQueue({ connection: redis, prefix: config.queuePrefix, attempts: config.worker.attempts });
  try {
    await inLanes(ids, 20, async (id) => void (await enqueueProvision(queue, id, 'payment')));
  } finally {
    await queue.close();
    await redis.quit();
  }
}

/** Removes a queue and everything in it (after its workers stopped). */
export async function dropQueue(config: Config): Promise<void> {
  const redis = createRedis(config.redisUrl as string, 'api');
  const queue = createProvisionQueue({ connection: redis, prefix: config.queuePrefix, attempts: config.worker.attempts });
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
    await redis.quit();
  }
}

/** Resolves with the elapsed ms once `count` jobs completed (counted by the worker's `completed` event). */
export function completions(worker: RunningProvisionWorker, count: number, timeoutMs: number, filter: (orderId: string) => boolean = () => true) {
  const started = performance.now();
  let done = 0;
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${done} of ${count} jobs completed within ${timeoutMs} ms`)), timeoutMs);
    worker.worker.on('completed', (job) => {
      if (!filter((job.data as { orderId: string }).orderId)) return;
      done += 1;
      if (done === count) {
        clearTimeout(timer);
        resolve(performance.now() - started);
      }
    });
  });
}
