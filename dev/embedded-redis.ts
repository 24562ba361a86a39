import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { RedisMemoryServer } from 'redis-memory-server';
import { startProcessReaper, type ProcessReaper } from './process-reaper';

export interface EmbeddedRedis {
  url: string;
  port: number;
  /** The redis-server's pid, so tests can kill it the way a crash would. */
  pid: number | undefined;
  stop(): Promise<void>;
  /**
   * Starts it again, empty, on the same port after `stop()` (a Redis that restarted and lost its data).
   * A fresh `startEmbeddedRedis({ port })` could not promise the port: recently used ports are held back.
   */
  restart(): Promise<void>;
}

/** Finds the system `redis-server` (Debian package); nothing is ever downloaded or built. */
export function findRedisServerBinary(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [
    env.REDISMS_SYSTEM_BINARY,
    ...(env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'redis-server')),
    '/usr/bin/redis-server',
    '/usr/local/bin/redis-server',
  ].filter((candidate): candidate is string => Boolean(candidate));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    'No redis-server binary found for the embedded Redis. Install it (Debian/Ubuntu: `apt-get install -y redis-server`, ' +
      'macOS: `brew install redis`) or point REDISMS_SYSTEM_BINARY at one, or set REDIS_URL to use an existing Redis.',
  );
}

export interface EmbeddedRedisOptions {
  port?: number;
  /**
   * The redis-server in a process group of its own, so a signal to ours (Ctrl-C in a terminal, a
   * `kill -- -pgid`) does not stop it before we do: the dev stack stops its workers first, and a
   * worker's close waits on Redis. A process reaper kills it if we die first.
   */
  ownProcessGroup?: boolean;
}

/**
 * Starts a private, throwaway redis-server on a free loopback port (no persistence). Used by the dev
 * stack and by every test file; never the shared Redis on 6379.
 */
export async function startEmbeddedRedis(options: EmbeddedRedisOptions = {}): Promise<EmbeddedRedis> {
  const systemBinary = findRedisServerBinary();
  const server = new RedisMemoryServer({
    binary: { systemBinary },
    instance: {
      ip: '127.0.0.1',
      ...(options.port ? { port: options.port } : {}),
      // hz 100 as in production (docker-compose.yml): delayed jobs run within ~10 ms of their time.
      args: ['--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--hz', '100'],
    },
    ...(options.ownProcessGroup ? { spawn: { detached: true } } : {}),
  });
  await server.start();
  const port = await server.getPort();
  // In a group of its own, the redis-server no longer dies with our group: the reaper sees to it.
  let reaper: ProcessReaper | null = null;
  /** The redis-server just started. */
  const started = () => {
    const info = server.getInstanceInfo();
    const pid = info ? info.childProcess?.pid : undefined;
    if (pid !== undefined && options.ownProcessGroup) (reaper ??= startProcessReaper()).watch(pid);
    return pid;
  };
  const redis: EmbeddedRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: started(),
    stop: async () => {
      await server.stop();
      if (redis.pid !== undefined) reaper?.forget(redis.pid);
      await reaper?.close();
      reaper = null;
    },
    restart: async () => {
      // The same RedisMemoryServer reuses its previous port.
      await server.start();
      if ((await server.getPort()) !== port) throw new Error(`embedded Redis came back on another port than ${port}`);
      redis.pid = started();
    },
  };
  return redis;
}
