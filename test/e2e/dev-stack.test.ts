import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { waitFor } from '../support/wait-for';

const ROOT = join(__dirname, '..', '..');
const LABELS = ['API', 'Admin token', 'bull-board', 'MongoDB', 'Redis', 'Simulator'] as const;
type Printed = Record<(typeof LABELS)[number], string>;

interface Started {
  child: ChildProcess;
  output: () => string;
}

const started: ChildProcess[] = [];

/** Starts an npm script in its own process group, as a user's terminal would. */
function run(script: string, env: Record<string, string>): Started {
  const child = spawn('npm', ['run', '--silent', script], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

function parsePrinted(output: string): Printed | null {
  const values: Partial<Printed> = {};
  for (const label of LABELS) {
    const match = new RegExp(`^${label} {2,}(\\S+)$`, 'm').exec(output);
    if (!match?.[1]) return null;
    values[label] = match[1];
  }
  return values as Printed;
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The processes still in the group, for a failure message. */
function groupProcesses(pid: number): string {
  const all = spawnSync('ps', ['-e', '-o', 'pgid=,pid=,stat=,etime=,args='], { encoding: 'utf8' }).stdout.split('\n');
  return all.filter((line) => line.trim().split(/\s+/)[0] === String(pid)).join('\n');
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function demoOrdersActive(printed: Printed): Promise<boolean> {
  const res = await fetch(`${printed.API}/api/orders?provisioningStatus=active`, { headers: { authorization: `Bearer ${printed['Admin token']}` } });
  const body = (await res.json()) as { orders: unknown[] };
  return body.orders.length >= 4;
}

afterAll(async () => {
  for (const child of started) {
    if (child.pid && groupAlive(child.pid)) {
      process.kill(-child.pid, 'SIGKILL');
      await waitFor(() => !groupAlive(child.pid as number), { timeoutMs: 5_000 }).catch(() => undefined);
    }
  }
});

describe('npm run dev', () => {
  it('prints the six lines, answers health checks, provisions the demo orders, and stops cleanly on SIGTERM', async () => {
    const dev = run('dev', { PORT: '0' });
    const printed = await waitFor(() => parsePrinted(dev.output()), { timeoutMs: 30_000, message: 'the dev-stack lines' });
    expect(printed.API).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(printed['bull-board']).toBe(`${printed.API}/admin/queues`);
    expect(printed.MongoDB).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/\w+$/);
    expect(printed.Redis).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(printed.Redis).not.toBe('redis://127.0.0.1:6379');

    expect((await fetch(`${printed.API}/healthz`)).status).toBe(200);
    expect((await fetch(`${printed.API}/readyz`)).status).toBe(200);
    await waitFor(() => demoOrdersActive(printed), { timeoutMs: 20_000, message: 'demo orders active' });
    const stats = (await (await fetch(`${printed.Simulator}/__sim/stats`)).json()) as { buys: Record<string, number> };
    expect(Object.values(stats.buys).every((count) => count === 1)).toBe(true);

    const pid = dev.child.pid as number;
    const redisPort = Number(new URL(printed.Redis).port);
    const mongoPort = Number(new URL(printed.MongoDB).port);
    const stoppedAt = Date.now();
    process.kill(-pid, 'SIGTERM');
    await waitFor(() => !groupAlive(pid), { timeoutMs: 10_000, message: 'every process of the dev stack gone' }).catch((error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- still running ---\n${groupProcesses(pid)}\n--- dev output ---\n${dev.output()}`);
    });
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    // The signal reached the whole group, as Ctrl-C does: Redis still waited for the stack to stop it, so
    // no worker waited on a Redis already gone (its close hung until the stack gave up).
    expect(dev.output()).not.toMatch(/took too long|ECONNREFUSED|failed/);
    expect(await portOpen(redisPort)).toBe(false);
    expect(await portOpen(mongoPort)).toBe(false);
  }, 60_000);

  it('with DEV_WORKERS=0, a separate `npm run worker` given the printed URLs does the work', async () => {
    const dev = run('dev', { PORT: '0', DEV_WORKERS: '0' });
    const printed = await waitFor(() => parsePrinted(dev.output()), { timeoutMs: 30_000, message: 'the dev-stack lines' });
    expect(await demoOrdersActive(printed)).toBe(false);

    const worker = run('worker', { MONGO_URL: printed.MongoDB, REDIS_URL: printed.Redis, SIMULATOR_URL: printed.Simulator, POLL_INTERVAL_MS: '200' });
    await waitFor(() => demoOrdersActive(printed), { timeoutMs: 30_000, message: 'demo orders active through the separate worker' });

    for (const child of [worker.child, dev.child]) {
      process.kill(-(child.pid as number), 'SIGTERM');
      await waitFor(() => !groupAlive(child.pid as number), { timeoutMs: 10_000 });
    }
    expect(dev.output()).not.toMatch(/Error|failed/i);
  }, 90_000);
});
