/**
 * `npm run dev`: the whole system in one process with embedded defaults — MongoDB (the embedded
 * wire-compatible server), Redis (a private redis-server), the provider simulator, the API and a
 * worker — plus demo orders. Any of MONGO_URL, REDIS_URL, SIMULATOR_URL, SMARTVPS_API_URL,
 * HOSTYCARE_API_URL given means: use that instead. DEV_WORKERS=0 runs no worker here.
 */
import { startApiServer, type ApiServer } from '../src/api/start-api';
import { loadConfigOrExit } from '../src/config';
import { connectDatabase, type Database } from '../src/db/connection';
import { createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import { createProviderClients } from '../src/providers';
import { createProvisionQueue } from '../src/queue/provision-queue';
import { createRedis } from '../src/queue/redis';
import { startProvisionWorker, type RunningProvisionWorker } from '../workers/provision.worker';
import { insertDemoOrders } from './demo-orders';
import { startEmbeddedMongo } from './mongo';
import { startEmbeddedRedis } from './embedded-redis';
import { simulatorFaultsFromEnv, startSimulator } from './simulator/simulator';

const DEV_DATABASE = 'vps_dev';

/** Things to stop, in reverse order of starting. */
const stack: { name: string; stop: () => Promise<unknown> }[] = [];

async function main(): Promise<void> {
  // The dev stack is development: its fixed secrets apply here (and only where NODE_ENV says so).
  process.env.NODE_ENV ??= 'development';
  // Snappy dev defaults; the same variables override them.
  process.env.HOST ??= '127.0.0.1';
  process.env.POLL_INTERVAL_MS ??= '500';
  process.env.LOCK_RETRY_DELAY_MS ??= '1000';
  process.env.LOG_LEVEL ??= 'warn';
  const started = Date.now();

  const mongoUrl = process.env.MONGO_URL ?? (await startMongo());
  const redisUrl = process.env.REDIS_URL ?? (await startRedis());
  const usesRealProviders = process.env.SMARTVPS_API_URL !== undefined || process.env.HOSTYCARE_API_URL !== undefined;
  const simulatorUrl = process.env.SIMULATOR_URL ?? (usesRealProviders ? undefined : await startSim());
  const config = loadConfigOrExit({ ...process.env, MONGO_URL: mongoUrl, REDIS_URL: redisUrl, ...(simulatorUrl ? { SIMULATOR_URL: simulatorUrl } : {}) });
  const logger = createLogger({ level: config.logLevel, name: 'dev', pretty: true });
  const metrics = createMetrics({ defaultMetrics: true });

  const db: Database = await connectDatabase(mongoUrl);
  stack.push({ name: 'database connection', stop: () => db.close() });
  const redis = createRedis(redisUrl, 'api');
  // The queue may already have closed the shared connection: then there is nothing to quit.
  stack.push({ name: 'api redis', stop: () => redis.quit().catch(() => redis.disconnect()) });
  const queue = createProvisionQueue({ connection: redis, prefix: config.queuePrefix, attempts: config.worker.attempts });
  queue.on('error', (error) => logger.warn({ err: error }, 'queue connection error'));
  stack.push({ name: 'queue', stop: () => queue.close() });

  const workers: RunningProvisionWorker[] = [];
  if (config.devWorkers > 0) {
    const providers = createProviderClients({
      ...config.providers,
      onCall: ({ provider, operation, outcome, durationMs }) => metrics.providerCall.observe({ provider, operation, outcome }, durationMs / 1000),
    });
    for (let i = 0; i < config.devWorkers; i += 1) {
      const worker = await startProvisionWorker({ config, redis: redisUrl, db, providers, logger: logger.child({ worker: i }), metrics, sweeper: i === 0 });
      workers.push(worker);
      stack.push({ name: `worker ${i}`, stop: () => worker.close() });
    }
  }

  const api: ApiServer = await startApiServer({
    config,
    db,
    queue,
    redis,
    logger,
    metrics,
    boardQueues: [...(workers[0]?.sweeper ? [workers[0].sweeper.queue] : []), ...(workers[0]?.eventsQueue ? [workers[0].eventsQueue] : [])],
    host: config.host,
    port: config.port,
  });
  stack.push({ name: 'api', stop: () => api.close() });

  const demoIds = await insertDemoOrders(db, { queue, logger });

  const adminToken = (config.admins[0] as { token: string }).token;
  const lines: [string, string][] = [
    ['API', api.url],
    ['Admin token', adminToken],
    ['bull-board', `${api.url}/admin/queues`],
    ['MongoDB', mongoUrl],
    ['Redis', redisUrl],
    ['Simulator', simulatorUrl ?? '(not used: real provider URLs given)'],
    ['Admin page', `${api.url}/admin`],
  ];
  console.log(lines.map(([label, value]) => `${label.padEnd(13)}${value}`).join('\n'));
  console.log(
    [
      '',
      `Ready in ${((Date.now() - started) / 1000).toFixed(1)} s. Workers in this process: ${workers.length}.`,
      demoIds.length > 0 ? `Demo orders: ${demoIds.join(' ')}` : '',
      `Try:  curl -s -H "Authorization: Bearer ${adminToken}" ${api.url}/api/orders | head -c 600`,
      'Ctrl-C stops everything.',
    ]
      .filter(Boolean)
      .join('\n'),
  );
}

async function startMongo(): Promise<string> {
  const mongo = await startEmbeddedMongo({ host: '127.0.0.1' });
  stack.push({ name: 'embedded MongoDB', stop: () => mongo.stop() });
  return `mongodb://127.0.0.1:${mongo.port}/${DEV_DATABASE}`;
}

async function startRedis(): Promise<string> {
  const redis = await startEmbeddedRedis({ ownProcessGroup: true });
  stack.push({ name: 'embedded Redis', stop: () => redis.stop() });
  return redis.url;
}

async function startSim(): Promise<string> {
  const fromEnv = simulatorFaultsFromEnv(process.env);
  // SIM_PROFILE replaces the snappy dev timing (an IP after 1.5 s); SIM_SCALE shrinks or stretches either.
  const faults = fromEnv.profile ? fromEnv : { ipDelayMs: 1_500, latencyMs: 20, ...fromEnv };
  const simulator = await startSimulator({ host: '127.0.0.1', port: Number(process.env.SIMULATOR_PORT ?? 0), faults });
  stack.push({ name: 'simulator', stop: () => simulator.stop() });
  return simulator.url;
}

let stopping = false;
async function stop(signal: string, exitCode = 0): Promise<void> {
  if (stopping) {
    console.error(`${signal} again: exiting now`);
    process.exit(1);
  }
  stopping = true;
  console.log(`\n${signal}: stopping…`);
  // Whatever happens, be gone within a few seconds.
  setTimeout(() => {
    console.error('stop took too long; exiting');
    process.exit(1);
  }, 8_000).unref();
  for (const part of stack.reverse()) {
    await part.stop().catch((error: unknown) => console.error(`stopping ${part.name} failed:`, error instanceof Error ? error.message : error));
  }
  process.exit(exitCode);
}

process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

main().catch(async (error: unknown) => {
  console.error('dev stack failed to start:', error instanceof Error ? error.message : error);
  await stop('startup failure', 1);
});
