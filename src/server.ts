import { Queue } from 'bullmq';
import { createAlerts, NO_ALERTS, watchSweeper } from './alerts/alerts';
import { startApiServer } from './api/start-api';
import { createOrderEventsQueue } from './events/order-events';
import { loadConfigOrExit } from './config';
import { exitOnSignals, runShutdown } from './lifecycle/shutdown';
import { connectDatabase } from './db/connection';
import { createLogger } from './observability/logger';
import { createMetrics } from './observability/metrics';
import { serveOpsHttp } from './observability/ops-http';
import { checkReadiness } from './observability/readiness';
import { createProvisionQueue } from './queue/provision-queue';
import { createRedis, queueConnection } from './queue/redis';
import { SWEEPER_QUEUE } from './queue/sweeper-queue';

/** `npm run api`: the HTTP API alone, against the MongoDB and Redis named in the environment. */
async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const logger = createLogger({ level: config.logLevel, name: 'api' });
  if (!config.mongoUrl || !config.redis) {
    const missing = [!config.mongoUrl && 'MONGO_URL', !config.redis && 'REDIS_URL'].filter(Boolean).join(' and ');
    console.error(`Missing ${missing}: the API needs a MongoDB and a Redis (or run everything with embedded defaults: npm run dev).`);
    process.exit(1);
  }

  const db = await connectDatabase(config.mongoUrl);
  const redis = createRedis(config.redis, 'api');
  const queue = createProvisionQueue({ connection: redis, prefix: config.queuePrefix, attempts: config.worker.attempts });
  // BullMQ reports connection trouble as queue errors; the routes answer 503 for it, so a log line is enough.
  queue.on('error', (error) => logger.warn({ err: error }, 'provision queue error'));
  const metrics = createMetrics({ defaultMetrics: true });
  // The sweeper's queue, shown in bull-board beside the provision queue (ops see when it last ran).
  const sweeperQueue = new Queue(SWEEPER_QUEUE, { ...queueConnection(redis), prefix: config.queuePrefix });
  sweeperQueue.on('error', (error) => logger.warn({ err: error }, 'sweeper queue error'));
  // And the deliveries of order events to the web app, when EVENTS_URL is set.
  const eventsQueue = config.events ? createOrderEventsQueue({ connection: redis, prefix: config.queuePrefix, retryForMs: config.events.retryForMs }) : null;
  eventsQueue?.on('error', (error) => logger.warn({ err: error }, 'order events queue error'));
  const api = await startApiServer({
    config,
    db,
    queue,
    redis,
    logger,
    metrics,
    boardQueues: [sweeperQueue, ...(eventsQueue ? [eventsQueue] : [])],
    host: config.host,
    port: config.port,
    closeTimeoutMs: Math.min(5_000, config.worker.shutdownTimeoutMs / 2),
  });
  const metricsHttp =
    config.metricsPort === undefined
      ? null
      : await serveOpsHttp({ registry: metrics.registry, readiness: () => checkReadiness({ mongo: db.connection, redis }), host: config.host, port: config.metricsPort });
  // With no worker running at all, nothing would say that recovery stopped: the API watches too.
  const alerts = config.alertWebhookUrl
    ? createAlerts({ redis, prefix: config.queuePrefix, url: config.alertWebhookUrl, publicUrl: config.publicUrl ?? api.url, logger, metrics })
    : NO_ALERTS;
  const sweeperWatch = watchSweeper({ redis, prefix: config.queuePrefix, sweepIntervalMs: config.worker.sweepIntervalMs, alerts, logger });
  logger.info({ url: api.url, metricsPort: metricsHttp?.port }, `API listening on ${api.url}`);

  // One bounded, ordered stop: stop taking requests, then the queue, then the stores the requests used.
  exitOnSignals(
    () =>
      runShutdown(
        [
          { name: 'http server', run: () => api.close() },
          { name: 'metrics server', run: async () => metricsHttp?.close() },
          { name: 'alerts', run: async () => (sweeperWatch.stop(), alerts.close()) },
          { name: 'queues', run: () => Promise.all([queue.close(), sweeperQueue.close(), eventsQueue?.close()]) },
          { name: 'mongodb', run: () => db.close() },
          { name: 'redis', run: () => redis.quit().catch(() => redis.disconnect()) },
        ],
        config.worker.shutdownTimeoutMs,
        logger,
      ),
    { timeoutMs: config.worker.shutdownTimeoutMs, logger },
  );
}

main().catch((error: unknown) => {
  console.error('API failed to start:', error);
  process.exit(1);
});
