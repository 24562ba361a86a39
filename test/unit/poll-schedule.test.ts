import { minPollGapMs, pollDelayMs, pollDueAfterMs } from '../../src/domain/poll-schedule';

describe('the poll schedule', () => {
  it('calls a second after the acceptance, once a second for the first five, then backs off by half again up to the interval', () => {
    const delays = Array.from({ length: 12 }, (_, polls) => pollDelayMs(polls, 5_000));
    expect(delays).toEqual([1_000, 1_000, 1_000, 1_000, 1_000, 1_500, 2_250, 3_375, 5_000, 5_000, 5_000, 5_000]);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(1_000);
  });

  it('counts each call’s due time from the acceptance', () => {
    expect([0, 1, 2, 5].map((polls) => pollDueAfterMs(polls, 5_000))).toEqual([1_000, 2_000, 3_000, 6_500]);
  });

  it('a short interval (tests) caps every wait, the gap included', () => {
    expect(pollDelayMs(0, 20)).toBe(20);
    expect(pollDelayMs(9, 20)).toBe(20);
    expect(minPollGapMs(20)).toBe(20);
    expect(minPollGapMs(5_000)).toBe(1_000);
  });
});
