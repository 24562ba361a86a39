import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { startProcessReaper } from '../../dev/process-reaper';

/** One `npm run worker` process group (npm → sh → tsx → node), started detached so it can be killed whole. */
export interface WorkerProcess {
  readonly id: number;
  /** Pid of npm, the group leader: `-pid` names the whole group. */
  readonly pid: number;
  readonly startedAt: number;
  /** Set once the worker logged "worker started". */
  readyAt: number | null;
  /** Set once the worker logged the start of an attempt ("provisioning"). */
  lastAttemptAt: number | null;
  killed: boolean;
  /** Exit code or signal, once the group leader exited. */
  exit: string | null;
  /** Resolves once the process exited and every holder of its pipes closed them. */
  readonly closed: Promise<void>;
}

export interface UnexpectedExit {
  id: number;
  exit: string;
  tail: string;
}

export interface WorkerFleet {
  start(): WorkerProcess;
  /** Workers not killed and not exited. */
  alive(): WorkerProcess[];
  /** SIGKILL to the whole process group, then wait until its pipes close. */
  kill(worker: WorkerProcess): Promise<void>;
  killAll(): Promise<void>;
  /** Everything every worker ever wrote to stdout and stderr. */
  output(): string;
  /** Workers that exited without being killed: crashes. */
  unexpectedExits(): UnexpectedExit[];
  /** How long each worker that got ready took from spawn to "worker started", in ms. */
  startupTimes(): number[];
  /** Pids of processes (not zombies) still alive in any group the fleet started. */
  leftovers(): number[];
  readonly counts: { started: number; killed: number };
}

const READY = '"msg":"worker started"';
const ATTEMPT = '"msg":"provisioning"';

/**
 * The production variables shrunk so a fault run takes a minute or two; each suite sets, beside these,
 * what its fault needs (lock retry, poll timeout, when an order counts as stuck…).
 */
export const FLEET_WORKER_SETTINGS: Readonly<Record<string, string>> = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'debug',
  PROVISION_ATTEMPTS: '4',
  PROVISION_BACKOFF_MS: '200,400,800',
  LOCK_TTL_MS: '2000',
  LOCK_MAX_WAIT_MS: '120000',
  POLL_INTERVAL_MS: '250',
  PROVIDER_TIMEOUT_MS: '500',
  BUY_GRACE_MS: '1000',
  JOB_LOCK_MS: '3000',
  SWEEP_INTERVAL_MS: '1000',
  SHUTDOWN_TIMEOUT_MS: '2000',
};

/** Starts and kills `npm run worker` processes, keeping their output for the credentials scan. */
export function createWorkerFleet(options: { cwd: string; env: NodeJS.ProcessEnv }): WorkerFleet {
  const workers: { worker: WorkerProcess; child: ChildProcess; chunks: Buffer[] }[] = [];
  const groups = new Set<number>();
  const counts = { started: 0, killed: 0 };

  // Last resort if the test process dies without running afterAll: every group we start dies with it.
  const reaper = startProcessReaper();
  const killGroupsNow = () => {
    for (const pgid of groups) signalGroup(pgid, 'SIGKILL');
  };

  function start(): WorkerProcess {
    const child = spawn('npm', ['run', '--silent', 'worker'], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid === undefined) throw new Error('npm run worker did not start');
    groups.add(child.pid);
    reaper.watchGroup(child.pid);
    counts.started += 1;
    const chunks: Buffer[] = [];
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const worker: WorkerProcess = {
      id: counts.started,
      pid: child.pid,
      startedAt: Date.now(),
      readyAt: null,
      lastAttemptAt: null,
      killed: false,
      exit: null,
      closed,
    };
    // Markers may straddle two chunks: look at the end of the previous one too.
    let tail = '';
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      const text = tail + chunk.toString('utf8');
      tail = text.slice(-64);
      if (worker.readyAt === null && text.includes(READY)) worker.readyAt = Date.now();
      if (text.includes(ATTEMPT)) worker.lastAttemptAt = Date.now();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      worker.exit = signal ?? `exit ${String(code)}`;
    });
    workers.push({ worker, child, chunks });
    return worker;
  }

  async function kill(worker: WorkerProcess): Promise<void> {
    if (!worker.killed) {
      worker.killed = true;
      counts.killed += 1;
      signalGroup(worker.pid, 'SIGKILL');
    }
    await worker.closed;
  }

  return {
    start,
    alive: () => workers.map((w) => w.worker).filter((w) => !w.killed && w.exit === null),
    kill,
    killAll: async () => {
      await Promise.all(workers.map(({ worker }) => kill(worker)));
      // Grandchildren (tsx's node) hold the same group; make sure none of them outlives npm.
      killGroupsNow();
      await reaper.close();
    },
    output: () => Buffer.concat(workers.flatMap((w) => w.chunks)).toString('utf8'),
    unexpectedExits: () =>
      workers
        .filter(({ worker }) => !worker.killed && worker.exit !== null)
        .map(({ worker, chunks }) => ({ id: worker.id, exit: worker.exit as string, tail: Buffer.concat(chunks).toString('utf8').slice(-2_000) })),
    startupTimes: () => workers.flatMap(({ worker }) => (worker.readyAt === null ? [] : [worker.readyAt - worker.startedAt])),
    leftovers: () => processesInGroups(groups),
    counts,
  };
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

/** Live (non-zombie) processes whose process group is one of `groups`, from /proc (Linux). */
function processesInGroups(groups: Set<number>): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state !== 'Z' && groups.has(Number(pgrp))) found.push(Number(entry));
  }
  return found;
}
