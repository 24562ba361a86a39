import type { Logger } from 'pino';

/** One thing to stop, in order; `run` may be slow, so each step gets only what is left of the limit. */
export interface ShutdownStep {
  name: string;
  run(): Promise<unknown>;
}

/**
 * Runs the steps in order within `timeoutMs` in all: each is given what is left, a step that takes
 * longer is left behind (logged) and the next starts. Resolves true when every step finished in time.
 */
export async function runShutdown(steps: readonly ShutdownStep[], timeoutMs: number, logger: Logger): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let clean = true;
  for (const step of steps) {
    const left = deadline - Date.now();
    const result = await settleWithin(step.run(), Math.max(0, left));
    if (result === 'timeout') logger.warn({ step: step.name }, 'shutdown step did not finish in time; going on without it');
    else if (result instanceof Error) logger.warn({ err: result, step: step.name }, 'shutdown step failed');
    if (result !== 'done') clean = false;
  }
  return clean;
}

async function settleWithin(pending: Promise<unknown>, ms: number): Promise<'done' | 'timeout' | Error> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(resolve, ms, 'timeout');
  });
  try {
    return await Promise.race([
      pending.then(
        () => 'done' as const,
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A process's signal handling: the first SIGTERM or SIGINT stops it through `stop` (bounded by
 * `timeoutMs`, then a hard exit whatever is still running), a second one exits at once.
 */
export function exitOnSignals(stop: () => Promise<boolean>, options: { timeoutMs: number; logger: Logger }): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    options.logger.info({ signal }, 'shutting down');
    // The last word: a stop that hangs past its limit (and a little slack to log) still ends the process.
    setTimeout(() => {
      options.logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, options.timeoutMs + 500).unref();
    stop().then(
      (clean) => {
        options.logger.info({ clean }, 'stopped');
        process.exit(clean ? 0 : 1);
      },
      (error: unknown) => {
        options.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
