/** Status calls this close together at first, and never closer: at most one a second per purchase. */
const FIRST_POLLS_MS = 1_000;
/** How many early calls keep that pace before the cadence backs off. */
const EARLY_POLLS = 5;
const GROWTH = 1.5;

/**
 * The wait before status call number `pollsMade + 1` of a purchase: the first soon after the buy (a
 * fast provider is seen at once), one a second for the first few seconds, then backing off by half
 * again each time up to `maxMs` (POLL_INTERVAL_MS). A `maxMs` under a second (tests) caps everything.
 */
export function pollDelayMs(pollsMade: number, maxMs: number): number {
  const early = Math.min(FIRST_POLLS_MS, maxMs);
  if (pollsMade < EARLY_POLLS) return early;
  return Math.round(Math.min(maxMs, early * GROWTH ** (pollsMade - EARLY_POLLS + 1)));
}
