/** The recovery sweeper's queue: a job scheduler makes one sweep job per SWEEP_INTERVAL_MS (workers/sweeper.ts). */
export const SWEEPER_QUEUE = 'recovery-sweeper';
export const SWEEP_JOB = 'sweep';
