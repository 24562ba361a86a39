import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { findRedisServerBinary } from '../../dev/embedded-redis';
import { startProcessReaper, type ProcessReaper } from '../../dev/process-reaper';
import { waitFor } from './wait-for';

export interface RedisNode {
  readonly role: 'data' | 'sentinel';
  readonly port: number;
  readonly pid: number;
  /** Set once the process exited (killed or not). */
  exited: boolean;
  /** Stopped with SIGSTOP (and not continued yet). */
  paused: boolean;
}

export interface SentinelGroup {
  /** The monitored primary's name (REDIS_SENTINEL_NAME). */
  readonly name: string;
  /** Where the Sentinels listen (REDIS_SENTINELS), all on 127.0.0.1. */
  readonly sentinels: { host: string; port: number }[];
  /** The data nodes: the first started as the primary, the others as its replicas. */
  readonly dataNodes: RedisNode[];
  /** `host:port,…` for REDIS_SENTINELS. */
  sentinelList(): string;
  /** The data node a majority of the Sentinels name as primary now. */
  primary(): Promise<RedisNode>;
  /** SIGKILL, as a crash would; resolves once the process is gone. */
  kill(node: RedisNode): Promise<void>;
  /** SIGSTOP: the process stays, answers nothing, replicates nothing. */
  pause(node: RedisNode): void;
  resume(node: RedisNode): void;
  /** Waits until every live replica reports its link to the current primary up. */
  replicasInSync(timeoutMs?: number): Promise<void>;
  /** Every process it started, SIGKILLed; the temporary directory removed. */
  stop(): Promise<void>;
  /** The processes' output, for a failing test's report. */
  output(): string;
}

export interface SentinelGroupOptions {
  name?: string;
  replicas?: number;
  sentinels?: number;
  quorum?: number;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
}

interface Started {
  node: RedisNode;
  child: ChildProcess;
  closed: Promise<void>;
}

/** Loopback ports below Linux's ephemeral range (no outgoing connection takes them meanwhile). */
const PORT_RANGE = [20_000, 32_000] as const;

/**
 * A Redis primary, its replicas (`replicaof`) and Sentinels (`redis-server <conf> --sentinel`), each a
 * real redis-server process on 127.0.0.1 with a config file in a temporary directory and no persistence.
 * Only the processes started here are ever signalled, by pid.
 */
export async function startSentinelGroup(options: SentinelGroupOptions = {}): Promise<SentinelGroup> {
  const name = options.name ?? 'vps-primary';
  const replicaCount = options.replicas ?? 2;
  const sentinelCount = options.sentinels ?? 3;
  const quorum = options.quorum ?? 2;
  const downAfterMs = options.downAfterMs ?? 1_000;
  const failoverTimeoutMs = options.failoverTimeoutMs ?? 4_000;
  const binary = findRedisServerBinary();
  const dir = mkdtempSync(join(tmpdir(), 'vps-sentinel-'));
  const started: Started[] = [];
  const output: string[] = [];
  const reaper: ProcessReaper = startProcessReaper();

  async function launch(role: RedisNode['role'], config: (port: number) => string[]): Promise<Started> {
    for (let tries = 0; ; tries += 1) {
      const port = await freePort();
      const file = join(dir, `${role}-${port}.conf`);
      writeFileSync(file, `${config(port).join('\n')}\n`);
      const args = role === 'sentinel' ? [file, '--sentinel'] : [file];
      const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      if (child.pid === undefined) throw new Error(`${binary} did not start`);
      reaper.watch(child.pid);
      const node: RedisNode = { role, port, pid: child.pid, exited: false, paused: false };
      const tag = `[${role} ${port}] `;
      const keep = (chunk: Buffer) => output.push(...chunk.toString('utf8').split('\n').filter(Boolean).map((line) => tag + line));
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
      child.once('exit', () => {
        node.exited = true;
        reaper.forget(node.pid);
      });
      const entry = { node, child, closed };
      started.push(entry);
      const up = await waitFor(() => node.exited || answersPing(port), { timeoutMs: 10_000, intervalMs: 50 }).catch(() => false);
      if (up === true && !node.exited) return entry;
      // Lost a race for the port (or failed): try another one.
      child.kill('SIGKILL');
      await closed;
      if (tries >= 3) throw new Error(`${role} redis-server did not start:\n${output.slice(-20).join('\n')}`);
    }
  }

  const common = (port: number) => [
    `port ${port}`,
    'bind 127.0.0.1',
    'daemonize no',
    `dir ${dir}`,
    'logfile ""',
    'loglevel warning',
  ];
  const dataNode = (port: number): string[] => [
    ...common(port),
    'save ""',
    'appendonly no',
    'maxmemory-policy noeviction',
    'repl-diskless-sync yes',
    'repl-diskless-sync-delay 0',
    'repl-diskless-load on-empty-db',
  ];
  try {
    const primary = await launch('data', dataNode);
    const primaryPort = primary.node.port;
    for (let i = 0; i < replicaCount; i += 1) {
      await launch('data', (port) => [...dataNode(port), `replicaof 127.0.0.1 ${primaryPort}`]);
    }
    for (let i = 0; i < sentinelCount; i += 1) {
      await launch('sentinel', (port) => [
        ...common(port),
        `sentinel monitor ${name} 127.0.0.1 ${primaryPort} ${quorum}`,
        `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
        `sentinel failover-timeout ${name} ${failoverTimeoutMs}`,
        `sentinel parallel-syncs ${name} ${replicaCount}`,
      ]);
    }
  } catch (error) {
    await stopAll();
    throw error;
  }

  const dataNodes = started.filter((s) => s.node.role === 'data').map((s) => s.node);
  const sentinelNodes = started.filter((s) => s.node.role === 'sentinel').map((s) => s.node);

  async function withClient<T>(port: number, run: (client: Redis) => Promise<T>): Promise<T> {
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000, commandTimeout: 1_000, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await run(client);
    } finally {
      client.disconnect();
    }
  }

  async function answersPing(port: number): Promise<boolean> {
    return withClient(port, async (client) => (await client.ping()) === 'PONG').catch(() => false);
  }

  async function stopAll(): Promise<void> {
    for (const { node, child } of started) {
      if (!node.exited) child.kill('SIGKILL');
    }
    await Promise.all(started.map((s) => s.closed));
    await reaper.close();
    rmSync(dir, { recursive: true, force: true });
  }

  /** What each live Sentinel names as primary, and how many of them agree. */
  async function namedPrimary(): Promise<RedisNode | null> {
    const votes = new Map<number, number>();
    for (const sentinel of sentinelNodes) {
      if (sentinel.exited || sentinel.paused) continue;
      const addr = await withClient(sentinel.port, (client) => client.call('SENTINEL', 'get-master-addr-by-name', name) as Promise<[string, string] | null>).catch(() => null);
      if (addr) votes.set(Number(addr[1]), (votes.get(Number(addr[1])) ?? 0) + 1);
    }
    for (const [port, count] of votes) {
      if (count * 2 > sentinelNodes.length) return dataNodes.find((node) => node.port === port) ?? null;
    }
    return null;
  }

  const group: SentinelGroup = {
    name,
    sentinels: sentinelNodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    dataNodes,
    sentinelList: () => sentinelNodes.map((node) => `127.0.0.1:${node.port}`).join(','),
    primary: async () => waitFor(namedPrimary, { timeoutMs: 15_000, intervalMs: 100, message: 'a majority of the Sentinels name one primary' }),
    kill: async (node) => {
      const entry = started.find((s) => s.node === node);
      if (!entry || node.exited) return;
      entry.child.kill('SIGKILL');
      await entry.closed;
    },
    pause: (node) => {
      const entry = started.find((s) => s.node === node);
      if (!entry || node.exited) return;
      entry.child.kill('SIGSTOP');
      node.paused = true;
    },
    resume: (node) => {
      const entry = started.find((s) => s.node === node);
      if (!entry || node.exited) return;
      entry.child.kill('SIGCONT');
      node.paused = false;
    },
    replicasInSync: async (timeoutMs = 15_000) => {
      await waitFor(
        async () => {
          const primary = await namedPrimary();
          if (!primary) return false;
          const replicas = dataNodes.filter((node) => node !== primary && !node.exited && !node.paused);
          for (const replica of replicas) {
            const info = await withClient(replica.port, (client) => client.info('replication')).catch(() => '');
            if (!info.includes(`master_port:${primary.port}`) || !info.includes('master_link_status:up')) return false;
          }
          return true;
        },
        { timeoutMs, intervalMs: 100, message: 'every live replica in sync with the primary' },
      );
    },
    stop: stopAll,
    output: () => output.join('\n'),
  };

  // Ready: the replicas replicate, and each Sentinel knows the replicas and the other Sentinels (found
  // through the primary's hello channel), so a failover can be agreed on.
  await waitFor(
    async () => {
      for (const sentinel of sentinelNodes) {
        const known = await withClient(sentinel.port, async (client) => {
          const replicas = (await client.call('SENTINEL', 'replicas', name)) as unknown[];
          const others = (await client.call('SENTINEL', 'sentinels', name)) as unknown[];
          return replicas.length === replicaCount && others.length === sentinelCount - 1;
        }).catch(() => false);
        if (!known) return false;
      }
      return true;
    },
    { timeoutMs: 20_000, intervalMs: 100, message: 'every Sentinel knows the replicas and the other Sentinels' },
  ).catch(async (error: Error) => {
    const tail = output.slice(-30).join('\n');
    await stopAll();
    throw new Error(`${error.message}\n${tail}`);
  });
  await group.replicasInSync();
  return group;
}

/** A loopback port nobody listens on now. */
async function freePort(): Promise<number> {
  const [low, high] = PORT_RANGE;
  for (let tries = 0; tries < 50; tries += 1) {
    const port = low + Math.floor(Math.random() * (high - low));
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free loopback port in ${low}-${high}`);
}
