import { Router } from 'express';
import { checkReadiness } from '../../observability/readiness';
import type { AppDeps } from '../app';

/** Liveness and readiness: no auth, no body. */
export function healthRouter({ db, redis }: AppDeps): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    const readiness = await checkReadiness({ mongo: db.connection, redis });
    res
      .status(readiness.status === 'ready' ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json(readiness);
  });

  return router;
}

/** Prometheus metrics on the API's port (unless METRICS_PORT gives them a port of their own). */
export function metricsRouter({ metrics }: AppDeps): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType).set('Cache-Control', 'no-store').send(await metrics.registry.metrics());
  });
  return router;
}
