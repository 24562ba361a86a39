import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { startProcessReaper } from '../../dev/process-reaper';

export interface ApiProcess {
  /** Where it listens (127.0.0.1, a free port). */
  readonly url: string;
  readonly pid: number;
  /** Everything it wrote to stdout and stderr. */
  output(): string;
  /** SIGTERM (its bounded shutdown), SIGKILL if it is still there after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const ROOT = join(__dirname, '..', '..');

/**
 * `src/server.ts` as its own OS process, as `npm run api` runs it (through tsx), on 127.0.0.1 and a free
 * port, with `env` as its whole environment beside PATH. Resolves once it logged where it listens.
 */
export async function spawnApi(env: Record<string, string>, options: { startTimeoutMs?: number } = {}): Promise<ApiProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'server.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('the API process did not start');
  const pid = child.pid;
  const reaper = startProcessReaper();
  reaper.watch(pid);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let exited = false;
  child.once('exit', () => {
    exited = true;
    reaper.forget(pid);
  });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
  const output = () => Buffer.concat(chunks).toString('utf8');

  const stop = async (graceMs = 5_000) => {
    if (!exited) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await closed;
      clearTimeout(killer);
    }
    await closed;
    await reaper.close();
  };

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the API did not start within ${options.startTimeoutMs ?? 60_000} ms:\n${output().slice(-2_000)}`)), options.startTimeoutMs ?? 60_000);
    const look = () => {
      const found = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output());
      if (found) {
        clearTimeout(timer);
        child.stdout?.off('data', look);
        resolve(found[1] as string);
      }
    };
    child.stdout?.on('data', look);
    void once(child, 'exit').then(() => {
      clearTimeout(timer);
      reject(new Error(`the API exited before listening:\n${output().slice(-2_000)}`));
    });
  }).catch(async (error: unknown) => {
    await stop(0);
    throw error;
  });

  return { url, pid, output, stop };
}
