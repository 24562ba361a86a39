import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { RedisMemoryServer } from 'redis-memory-server';

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
   * worker's close waits on Redis. A watchdog, also in a group of its own, kills it if we die first.
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
  /** The redis-server just started; in a group of its own, it is watched so that it dies with us. */
  const started = () => {
    const info = server.getInstanceInfo();
    const pid = info ? info.childProcess?.pid : undefined;
    if (pid !== undefined && options.ownProcessGroup) killWhenWeDie(pid);
    return pid;
  };
  const redis: EmbeddedRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: started(),
    stop: async () => {
      await server.stop();
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

/** Polls until our process is gone (its parent is no longer us), then SIGKILLs `pid`; ends with `pid`. */
const WATCHDOG = `
const [parent, child] = process.argv.slice(-2).map(Number);
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
setInterval(() => {
  if (!alive(child)) process.exit(0);
  if (process.ppid !== parent) { try { process.kill(child, 'SIGKILL'); } catch {} process.exit(0); }
}, 200);`;

/** A detached watchdog that kills `pid` once this process is gone (it then has no other owner). */
function killWhenWeDie(pid: number): void {
  const watchdog = spawn(process.execPath, ['-e', WATCHDOG, String(process.pid), String(pid)], { detached: true, stdio: 'ignore' });
  watchdog.unref();
}
