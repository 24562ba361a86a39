import { Router } from 'express';
import { checkReadiness, withTimeout } from '../../observability/readiness';
import type { AppDeps } from '../app';

const PROBE_TIMEOUT_MS = 1_000;
const QUEUE_DEPTH_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'] as const;

/** Liveness, readiness and Prometheus metrics: no auth, no body. */
export function healthRouter({ db, redis, queue, metrics, logger }: AppDeps): Router {
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

  router.get('/metrics', async (_req, res) => {
    try {
      const counts = await withTimeout(queue.getJobCounts(...QUEUE_DEPTH_STATES), PROBE_TIMEOUT_MS, 'Redis');
      for (const state of QUEUE_DEPTH_STATES) metrics.queueDepth.set({ state }, counts[state] ?? 0);
    } catch (error) {
      // Redis is down: say nothing about the queue rather than repeat stale numbers.
      metrics.queueDepth.reset();
      logger.debug({ err: error }, 'queue depth unavailable for /metrics');
    }
    res.set('Content-Type', metrics.registry.contentType).set('Cache-Control', 'no-store').send(await metrics.registry.metrics());
  });

  return router;
}
