import { spawn } from 'node:child_process';

/**
 * Reads pids, one per line (`-pid`: forget it; `g<pgid>`: a whole process group); when its stdin ends
 * (its owner is done, or died), SIGKILLs those left.
 */
const REAPER_SCRIPT = `
const pids = new Set();
const groups = new Set();
let rest = '';
process.stdin.on('data', (chunk) => {
  const lines = (rest + chunk).split('\\n');
  rest = lines.pop();
  for (const line of lines) {
    if (line.startsWith('-')) pids.delete(Number(line.slice(1)));
    else if (line.startsWith('g')) groups.add(Number(line.slice(1)));
    else if (line) pids.add(Number(line));
  }
});
const reap = () => {
  for (const pid of pids) try { process.kill(pid, 'SIGKILL'); } catch {}
  for (const pgid of groups) try { process.kill(-pgid, 'SIGKILL'); } catch {}
  process.exit(0);
};
process.stdin.on('end', reap);
process.stdin.on('error', reap);
`;

export interface ProcessReaper {
  /** From now on `pid` dies with this process, however that ends. */
  watch(pid: number): void;
  /** From now on the process group `pgid` (a detached child's) dies with this process. */
  watchGroup(pgid: number): void;
  /** `pid` exited and was reaped: its number may be reused by someone else's process, so it is never killed. */
  forget(pid: number): void;
  /** Kills what is still watched and waits for the reaper to exit. */
  close(): Promise<void>;
}

/**
 * Last resort for servers a test or the dev stack starts: if this process dies without cleaning up (CI's
 * SIGTERM, Ctrl-C, a crash, SIGKILL), a detached reaper, told every pid, kills them once its stdin closes,
 * which the kernel does however we die. (Exit hooks cannot: inside jest `process` is a sandboxed copy.)
 */
export function startProcessReaper(): ProcessReaper {
  const reaper = spawn(process.execPath, ['-e', REAPER_SCRIPT], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  const gone = new Promise<void>((resolve) => reaper.once('close', () => resolve()));
  reaper.stdin?.on('error', () => undefined);
  return {
    watch: (pid) => void reaper.stdin?.write(`${pid}\n`),
    watchGroup: (pgid) => void reaper.stdin?.write(`g${pgid}\n`),
    forget: (pid) => void reaper.stdin?.write(`-${pid}\n`),
    close: async () => {
      reaper.stdin?.end();
      await gone;
    },
  };
}
