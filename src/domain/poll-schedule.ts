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

/**
 * When status call number `pollsMade + 1` is due, counted from the purchase's acceptance: the sum of
 * the waits before it. Counting from the acceptance, not from the previous call's end, keeps the calls'
 * own latency and the time to pick a parked job up again from adding up over the polls.
 */
export function pollDueAfterMs(pollsMade: number, maxMs: number): number {
  let due = 0;
  for (let poll = 0; poll <= pollsMade; poll += 1) due += pollDelayMs(poll, maxMs);
  return due;
}

/** The least time between the starts of two status calls of one purchase (a second, or less in tests). */
export function minPollGapMs(maxMs: number): number {
  return pollDelayMs(0, maxMs);
}
