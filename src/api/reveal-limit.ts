import type { Redis } from 'ioredis';
import { QueueUnavailableError } from '../domain/errors';

/** Credential reveals allowed per caller per minute, across every API process. */
export const REVEALS_PER_MINUTE = 30;
const WINDOW_MS = 60_000;

/**
 * Counts a reveal by `actor` in this minute's window (in Redis, so every API process shares it) and
 * says whether it is within the limit, or how long until the next window.
 */
export async function takeReveal(redis: Redis, prefix: string, actor: string, now = Date.now()): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }> {
  const window = Math.floor(now / WINDOW_MS);
  const key = `${prefix}:reveal-limit:${actor}:${window}`;
  let count: number;
  try {
    const results = await redis.multi().incr(key).pexpire(key, WINDOW_MS).exec();
    count = Number(results?.[0]?.[1]);
  } catch (error) {
    throw new QueueUnavailableError('Redis is unavailable, so reveals cannot be counted; nothing was revealed. Try again shortly.', {
      cause: error instanceof Error ? error.message : String(error),
    });
  }
  if (count <= REVEALS_PER_MINUTE) return { allowed: true };
  return { allowed: false, retryAfterSeconds: Math.ceil(((window + 1) * WINDOW_MS - now) / 1000) };
}
