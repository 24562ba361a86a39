/** How much a delay may move either way, so retries of many orders do not arrive together. */
const JITTER = 0.05;

/**
 * The delay before retry number `attemptsMade` (1 after the first failure): the staged delays
 * (default 60 s, 180 s, 300 s; the last repeats), with a little jitter, never outside the range the
 * stages span.
 */
export function stagedBackoffMs(attemptsMade: number, stagesMs: readonly number[], random: () => number = Math.random): number {
  if (stagesMs.length === 0) throw new Error('stagedBackoffMs needs at least one stage');
  const index = Math.min(Math.max(attemptsMade, 1), stagesMs.length) - 1;
  const base = stagesMs[index] as number;
  const jittered = base * (1 + (random() * 2 - 1) * JITTER);
  return Math.round(Math.min(Math.max(jittered, Math.min(...stagesMs)), Math.max(...stagesMs)));
}
