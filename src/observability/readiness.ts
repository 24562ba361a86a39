import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';

const PROBE_TIMEOUT_MS = 1_000;

/** `promise`, or a rejection once `timeoutMs` passed without an answer. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
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

export interface Readiness {
  status: 'ready' | 'unavailable';
  mongo: 'ok' | 'down';
  redis: 'ok' | 'down';
}

/** Whether MongoDB and Redis answer a ping now (the API's and the workers' `/readyz`). */
export async function checkReadiness(deps: { mongo: Connection; redis: Redis }): Promise<Readiness> {
  const [mongo, redis] = await Promise.all([
    answers(() => deps.mongo.db?.admin().ping(), 'MongoDB'),
    answers(() => deps.redis.ping(), 'Redis'),
  ]);
  return { status: mongo && redis ? 'ready' : 'unavailable', mongo: mongo ? 'ok' : 'down', redis: redis ? 'ok' : 'down' };
}
