import { stagedBackoffMs } from '../../src/domain/backoff';

const stages = [60_000, 180_000, 300_000];

describe('stagedBackoffMs', () => {
  it('follows the stages, the last repeating', () => {
    const middle = () => 0.5; // no jitter
    expect([1, 2, 3, 4, 9].map((n) => stagedBackoffMs(n, stages, middle))).toEqual([60_000, 180_000, 300_000, 300_000, 300_000]);
  });

  it('jitters a little and never leaves 1–5 minutes', () => {
    for (const random of [() => 0, () => 0.25, () => 0.999]) {
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        const delay = stagedBackoffMs(attempt, stages, random);
        expect(delay).toBeGreaterThanOrEqual(60_000);
        expect(delay).toBeLessThanOrEqual(300_000);
      }
    }
    expect(stagedBackoffMs(2, stages, () => 0)).toBe(171_000);
    expect(stagedBackoffMs(2, stages, () => 0.999)).toBeGreaterThan(188_000);
  });

  it('works with shrunken test stages', () => {
    expect(stagedBackoffMs(1, [50, 100], () => 0.5)).toBe(50);
    expect(stagedBackoffMs(7, [50, 100], () => 0.5)).toBe(100);
  });
});
