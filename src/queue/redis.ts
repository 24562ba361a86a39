import { Redis, type RedisOptions } from 'ioredis';

/**
 * Redis connections by role. The API's fail fast (no offline queue, one retry) so a Redis outage
 * answers 503 at once; workers' wait for Redis to come back (BullMQ requires `maxRetriesPerRequest: null`).
 */
export function createRedis(url: string, role: 'api' | 'worker', extra: RedisOptions = {}): Redis {
  const options: RedisOptions =
    role === 'api'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 2_000 }
      : { maxRetriesPerRequest: null, enableReadyCheck: true };
  const client = new Redis(url, {
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...options,
    ...extra,
  });
  // Connection errors are retried by ioredis; without a listener Node would print every one.
  client.on('error', () => undefined);
  return client;
}
