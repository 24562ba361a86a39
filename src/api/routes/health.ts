import { Router } from 'express';
import type { AppDeps } from '../app';

const PROBE_TIMEOUT_MS = 1_000;
const QUEUE_DEPTH_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'] as const;

/** `promise`, or a rejection once `timeoutMs` passed without an answer. */
async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** True when `probe` answers within the timeout; false on an error, no connection or no answer. */
async function answers(probe: () => Promise<unknown> | undefined, what: string): Promise<boolean> {
  try {
    const pending = probe();
    if (!pending) return false;
    await withTimeout(pending, PROBE_TIMEOUT_MS, what);
    return true;
  } catch {
    return false;
  }
}

/** Liveness, readiness and Prometheus metrics: no auth, no body. */
export function healthRouter({ db, redis, queue, metrics, logger }: AppDeps): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    const [mongo, redisUp] = await Promise.all([answers(() => db.connection.db?.admin().ping(), 'MongoDB'), answers(() => redis.ping(), 'Redis')]);
    const ready = mongo && redisUp;
    res
      .status(ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: ready ? 'ready' : 'unavailable', mongo: mongo ? 'ok' : 'down', redis: redisUp ? 'ok' : 'down' });
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
