import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { Types } from 'mongoose';
import { loadConfig, type Config } from '../../src/config';
import { connectDatabase, type Database } from '../../src/db/connection';
import type { Order } from '../../src/db/order-model';
import { startSimulator, type RunningSimulator } from '../../dev/simulator/simulator';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { createProviderClients } from '../../src/providers';
import { createProvisionQueue, type ProvisionQueue } from '../../src/queue/provision-queue';
import { createRedis } from '../../src/queue/redis';
import { startProvisionWorker, type RunningProvisionWorker } from '../../workers/provision.worker';
import { useIntegrationEnv, type IntegrationEnv } from './integration';
import { waitFor } from './wait-for';

/** Shrunken times: the same variables production uses, scaled down for tests. */
export const FAST_SETTINGS: Record<string, string> = {
  NODE_ENV: 'test',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
  PROVISION_BACKOFF_MS: '100,200,300',
  LOCK_TTL_MS: '2000',
  LOCK_RETRY_DELAY_MS: '100',
  LOCK_MAX_WAIT_MS: '60000',
  POLL_INTERVAL_MS: '20',
  POLL_TIMEOUT_MS: '5000',
  PROVIDER_TIMEOUT_MS: '1500',
  BUY_GRACE_MS: '300',
  JOB_LOCK_MS: '2000',
  SWEEP_INTERVAL_MS: '60000',
  SHUTDOWN_TIMEOUT_MS: '3000',
  WORKER_CONCURRENCY: '10',
};

export interface Pipeline {
  env: IntegrationEnv;
  simulator: RunningSimulator;
  db: Database;
  /** A Redis client for the test's own looks (the API role: fails fast). */
  redis: Redis;
  /** Makes a config with its own queue prefix, so each test's jobs and locks are apart. */
  config(overrides?: Record<string, string>): Config;
  /** A provision queue on a config's prefix (as the API would make it). */
  queue(config: Config): ProvisionQueue;
  /** Starts an in-process worker on a config (on this file's Redis unless `redisUrl` says another way to it). */
  startWorker(config: Config, options?: { sweeper?: boolean; redisUrl?: string }): Promise<RunningProvisionWorker>;
  /** Starts a worker as its own OS process (`workers/provision.worker.ts`), as `npm run worker` does. */
  spawnWorker(config: Config, extraEnv?: Record<string, string>): Promise<ChildProcess>;
  createOrder(fields?: Partial<Order>): Promise<string>;
  order(orderId: string): Promise<Order>;
  /** Waits until the order's provisioning status is `status`, and answers the order then. */
  untilStatus(orderId: string, status: string, timeoutMs?: number): Promise<Order>;
}

/** A whole pipeline per test file: private Redis, fresh MongoDB database, the simulator over HTTP. */
export function usePipeline(): Pipeline {
  const env = useIntegrationEnv();
  const pipeline = { env } as Pipeline;
  const children = new Set<ChildProcess>();
  // Workers live for one test: a worker (or its sweeper) left running would act on the next test's orders.
  let perTest: { close(): Promise<unknown> }[] = [];

  beforeAll(async () => {
    pipeline.simulator = await startSimulator({ host: '127.0.0.1', port: 0 });
    env.track({ close: () => pipeline.simulator.stop() });
    pipeline.db = env.track(await connectDatabase(env.mongoUrl));
    const redis = createRedis(env.redisUrl, 'api');
    env.track({ close: () => redis.quit().catch(() => redis.disconnect()) });
    // The API role has no offline queue: wait until it is connected before tests use it.
    if (redis.status !== 'ready') await once(redis, 'ready');
    pipeline.redis = redis;
    env.track({ close: killChildren });
  });

  async function killChildren(): Promise<void> {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    }
    children.clear();
  }

  beforeEach(async () => {
    // A clean slate: no orders from earlier tests for sweepers to find.
    await pipeline.db.orders.deleteMany({});
  });

  afterEach(async () => {
    const closing = perTest.reverse();
    perTest = [];
    for (const resource of closing) await resource.close();
    await killChildren();
  });

  pipeline.config = (overrides = {}) =>
    loadConfig({
      ...FAST_SETTINGS,
      QUEUE_PREFIX: `{${env.uniqueName('t')}}`,
      SIMULATOR_URL: pipeline.simulator.url,
      MONGO_URL: env.mongoUrl,
      REDIS_URL: env.redisUrl,
      ...overrides,
    });

  pipeline.queue = (config) => {
    const queue = createProvisionQueue({ connection: pipeline.redis, prefix: config.queuePrefix, attempts: config.worker.attempts });
    return env.track(queue);
  };

  pipeline.startWorker = async (config, options = {}) => {
    const logger = createLogger({ level: config.logLevel, name: 'worker-test' });
    const providers = createProviderClients(config.providers);
    const worker = await startProvisionWorker({
      config,
      redis: options.redisUrl ?? env.redisUrl,
      db: pipeline.db,
      providers,
      logger,
      metrics: createMetrics(),
      sweeper: options.sweeper ?? false,
    });
    perTest.push(worker);
    return worker;
  };

  pipeline.spawnWorker = async (config, extraEnv = {}) => {
    const root = join(__dirname, '..', '..');
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'workers', 'provision.worker.ts')], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        ...FAST_SETTINGS,
        LOG_LEVEL: 'info',
        QUEUE_PREFIX: config.queuePrefix,
        SIMULATOR_URL: pipeline.simulator.url,
        MONGO_URL: env.mongoUrl,
        REDIS_URL: env.redisUrl,
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const started = new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', () => {
        if (output.includes('worker started')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`worker process exited (${code}) before starting:\n${output}`)));
    });
    await started;
    return child;
  };

  pipeline.createOrder = async (fields = {}) => {
    const order = await pipeline.db.orders.create({
      status: 'paid',
      provider: 'smartvps',
      packageName: '103.101',
      plan: '4gb',
      os: 'ubuntu-22.04',
      autoProvisioned: true,
      ...fields,
    });
    return String(order._id);
  };

  pipeline.order = async (orderId) => {
    const order = await pipeline.db.orders.findById(new Types.ObjectId(orderId)).select('+credentialsEncrypted').lean<Order>();
    if (!order) throw new Error(`order ${orderId} not found`);
    return order;
  };

  pipeline.untilStatus = (orderId, status, timeoutMs = 15_000) =>
    waitFor(
      async () => {
        const order = await pipeline.order(orderId);
        return order.provisioningStatus === status ? order : null;
      },
      { timeoutMs, message: `order ${orderId} to become ${status}` },
    );

  return pipeline;
}
