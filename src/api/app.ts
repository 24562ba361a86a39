import type { Queue } from 'bullmq';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Redis } from 'ioredis';
import type { Config } from '../config';
import type { Database } from '../db/connection';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { ProvisionQueue } from '../queue/provision-queue';
import { adminUiRouter } from './admin-ui';
import { requireAdmin } from './auth';
import { BULL_BOARD_PATH, bullBoardRouter } from './bull-board';
import { errorHandler, notFoundHandler } from './errors';
import { openApiDocument } from './openapi';
import { healthRouter } from './routes/health';
import { ordersRouter } from './routes/orders';
import { webhooksRouter } from './routes/webhooks';

export interface AppDeps {
  config: Config;
  db: Database;
  queue: ProvisionQueue;
  /** The API-role ioredis client the queue uses: /readyz pings it. */
  redis: Redis;
  logger: Logger;
  metrics: Metrics;
  /** Extra queues to show in bull-board, e.g. the sweeper's. */
  boardQueues?: Queue[];
  now?: () => Date;
}

/** Mounts whose routes are not Express route patterns (bull-board's sub-app, the auth gate). */
const MOUNT_LABELS = [BULL_BOARD_PATH, '/api/orders'];

/**
 * Request durations by route pattern (`/api/orders/:orderId`), never the raw URL, so the label
 * stays bounded whatever clients send.
 */
function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const stop = metrics.httpRequests.startTimer();
    res.once('finish', () => {
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : (MOUNT_LABELS.find((mount) => req.originalUrl.startsWith(mount)) ?? 'unmatched');
      stop({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}

/** The API: admin order routes and page, payment webhooks, health, metrics, OpenAPI and bull-board. */
export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use(httpMetrics(deps.metrics));
  // No route takes OPTIONS (there is no CORS). Left alone, every router would answer it with a
  // text/plain list of methods, the one non-JSON answer; it gets the 404 any other method gets.
  app.use((req, res, next) => (req.method === 'OPTIONS' ? notFoundHandler(req, res, next) : next()));
  // Before the global helmet: bull-board sets its own, relaxed, headers.
  app.use(bullBoardRouter({ adminToken: deps.config.adminToken, queues: [deps.queue, ...(deps.boardQueues ?? [])] }));
  // Also before it: the admin page sends a stricter CSP of its own.
  app.use(adminUiRouter({ adminToken: deps.config.adminToken }));
  app.use(helmet());

  app.use(healthRouter(deps));
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  app.use(webhooksRouter(deps));
  app.use('/api/orders', requireAdmin({ adminToken: deps.config.adminToken, session: true }));
  app.use(ordersRouter(deps));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
