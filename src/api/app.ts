import type { Queue } from 'bullmq';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Redis } from 'ioredis';
import { createAuditLog, type AuditLog } from '../audit/audit-log';
import type { Config } from '../config';
import type { Database } from '../db/connection';
import type { Logger } from '../observability/logger';
import { QUEUE_DEPTH_STATES, type Metrics } from '../observability/metrics';
import type { ProvisionQueue } from '../queue/provision-queue';
import { accessLog } from './access-log';
import { adminUiRouter } from './admin-ui';
import { authenticate, FailedAuthLimiter, type AuthContext } from './auth';
import { BULL_BOARD_PATH, bullBoardRouter } from './bull-board';
import { errorHandler, notFoundHandler } from './errors';
import { openApiDocument } from './openapi';
import { auditRouter } from './routes/audit';
import { healthRouter, metricsRouter } from './routes/health';
import { ordersRouter } from './routes/orders';
import { webhooksRouter } from './routes/webhooks';

export interface AppDeps {
  config: Config;
  db: Database;
  queue: ProvisionQueue;
  /** The API-role ioredis client the queue uses: /readyz pings it; reveals are counted in it. */
  redis: Redis;
  logger: Logger;
  metrics: Metrics;
  /** Extra queues to show in bull-board, e.g. the sweeper's and the event deliveries'. */
  boardQueues?: Queue[];
  now?: () => Date;
}

/** What the routes share beyond AppDeps: the audit log and the authentication context. */
export interface RouteDeps extends AppDeps {
  audit: AuditLog;
  auth: AuthContext;
}

/** Mounts whose routes are not Express route patterns (bull-board's sub-app, the auth gates). */
const MOUNT_LABELS = [BULL_BOARD_PATH, '/api/orders', '/api/audit'];

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

/** The API: order routes and the admin page, payment webhooks, health, metrics, OpenAPI and bull-board. */
export function createApp(deps: AppDeps): express.Express {
  const audit = createAuditLog(deps.db.auditEvents, deps.logger);
  const auth: AuthContext = {
    credentials: { admins: deps.config.admins, appToken: deps.config.appToken },
    limiter: new FailedAuthLimiter(),
    audit,
  };
  const routes: RouteDeps = { ...deps, audit, auth };
  deps.metrics.watchQueueDepth(() => deps.queue.getJobCounts(...QUEUE_DEPTH_STATES));
  const app = express();
  // For the server's shutdown: audit entries still gathering are written before the connections close.
  app.locals.audit = audit;
  app.disable('x-powered-by');
  app.set('etag', false);
  // Behind a TLS proxy: client addresses (rate limits, audit) and the request's protocol come from it.
  if (deps.config.trustProxy !== undefined) app.set('trust proxy', deps.config.trustProxy);

  app.use(accessLog(deps.logger));
  app.use(httpMetrics(deps.metrics));
  // No route takes OPTIONS (there is no CORS). Left alone, every router would answer it with a
  // text/plain list of methods, the one non-JSON answer; it gets the 404 any other method gets.
  app.use((req, res, next) => (req.method === 'OPTIONS' ? notFoundHandler(req, res, next) : next()));
  // Before the global helmet: bull-board sets its own, relaxed, headers.
  app.use(bullBoardRouter({ auth, queues: [deps.queue, ...(deps.boardQueues ?? [])] }));
  // Also before it: the admin page sends a stricter CSP of its own.
  app.use(adminUiRouter({ auth }));
  app.use(helmet());

  app.use(healthRouter(deps));
  if (deps.config.metricsPort === undefined) app.use(metricsRouter(deps));
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  app.use(webhooksRouter(routes));
  app.use('/api/orders', authenticate(auth, { allow: 'admin_or_app', session: true }));
  app.use(ordersRouter(routes));
  app.use('/api/audit', authenticate(auth, { allow: 'admin', session: true }));
  app.use(auditRouter(routes));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
