import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config';

/**
 * How long a connection waits for an answer it is owed before it is taken for dead and opened again
 * (through the Sentinels: to the primary they name now). A primary that hangs, or a partition that
 * drops packets without a reset, leaves connections open and silent; nothing would close them until the
 * old primary came back or TCP gave up, minutes after the Sentinels promoted a replica. A worker's must
 * outlast BullMQ's longest blocking read (10 s); the API's commands are short.
 */
const SILENT_CONNECTION_MS = { api: 5_000, worker: 15_000 } as const;

/**
 * Redis connections by role. The API's fail fast (no offline queue, one retry) so a Redis outage
 * answers 503 at once; workers' wait for Redis to come back (BullMQ requires `maxRetriesPerRequest: null`).
 * A target is a URL, or a primary found through Sentinels (REDIS_SENTINELS): ioredis asks the Sentinels
 * for the primary whenever it (re)connects, so after a failover it finds the new one once its connection
 * drops: a dead primary drops it, Sentinel closes the clients of a primary it demotes, and a connection
 * silent for SILENT_CONNECTION_MS is dropped here. (ioredis's
 * `failoverDetector` is left off: its switch message, arriving while a reconnect is under way, ends the
 * client for good, and the process would never reach Redis again.)
 */
export function createRedis(target: RedisTarget | string, role: 'api' | 'worker', extra: RedisOptions = {}): Redis {
  const options: RedisOptions =
    role === 'api'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 2_000 }
      : { maxRetriesPerRequest: null, enableReadyCheck: true };
  const common: RedisOptions = {
    lazyConnect: false,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    socketTimeout: SILENT_CONNECTION_MS[role],
    ...options,
    ...extra,
  };
  const resolved: RedisTarget = typeof target === 'string' ? { kind: 'url', url: target } : target;
  const client =
    resolved.kind === 'url'
      ? new Redis(resolved.url, common)
      : new Redis({
          ...common,
          sentinels: resolved.sentinels,
          name: resolved.name,
          ...(resolved.password ? { password: resolved.password, sentinelPassword: resolved.password } : {}),
          sentinelRetryStrategy: (times) => Math.min(times * 200, 2_000),
        });
  // Connection errors are retried by ioredis; without a listener Node would print every one.
  client.on('error', () => undefined);
  return client;
}

/**
 * How a BullMQ queue uses `connection`. On a connection that fails fast (the API's: no offline queue)
 * the queue does not wait for Redis when it is made: otherwise a queue made while Redis was down holds
 * every command until Redis answers, and a request hangs instead of answering 503. Its Redis version
 * check needs Redis too, so that goes as well (the workers' queues still make it).
 */
export function queueConnection(connection: ConnectionOptions): { connection: ConnectionOptions; skipWaitingForReady?: true; skipVersionCheck?: true } {
  const failsFast = connection instanceof Redis && connection.options.enableOfflineQueue === false;
  return failsFast ? { connection, skipWaitingForReady: true, skipVersionCheck: true } : { connection };
}

/** True once `client` is connected, false if it is not within `ms` (Redis may be down; the caller goes on). */
export async function connectedWithin(client: Redis, ms: number): Promise<boolean> {
  if (client.status === 'ready') return true;
  return new Promise<boolean>((resolve) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      resolve(false);
    }, ms);
    client.once('ready', onReady);
  });
}
