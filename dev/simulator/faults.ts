import { z } from 'zod';

// What the simulator is told to do: the fault rates, the timing of each operation, and how to change them.

export const SIMULATED_OPS = ['find', 'buy', 'status'] as const;
export type SimulatedOp = (typeof SIMULATED_OPS)[number];

/** `[min, max]` in milliseconds, before scaling: drawn uniformly; `min = max` is a fixed value. */
export type MsRange = readonly [min: number, max: number];

export const PROFILE_NAMES = ['fast', 'realistic'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** The timing a profile sets. */
export interface Timing {
  /** How long the provider takes to answer each operation. */
  latency: Record<SimulatedOp, MsRange>;
  /** How long after its creation a purchase gets its IP (or fails, see `failAfterAcceptRate`). */
  ipDelay: MsRange;
}

export const PROFILES: Readonly<Record<ProfileName, Timing>> = Object.freeze({
  // Instant answers, and a short wait for the IP so the pending → active path is still exercised.
  fast: { latency: { find: [0, 0], buy: [0, 0], status: [0, 0] }, ipDelay: [1_000, 1_000] },
  // Roughly what the real providers do: a buy takes seconds, an IP a minute or two.
  realistic: { latency: { find: [200, 500], buy: [1_000, 3_000], status: [200, 500] }, ipDelay: [30_000, 120_000] },
});

/** The faults and timing in force. Rates are probabilities in 0..1, drawn per request unless said otherwise. */
export interface FaultSettings extends Timing {
  /** Answer 503 (after the latency). */
  failRate: number;
  /** Answer a buy with 422 and a reason (out of stock); other operations ignore it. */
  permanentFailRate: number;
  /** Never answer. A buy is processed first: the provider took the order but we never hear back. */
  timeoutRate: number;
  /** A status call makes the provider forget the purchase: removed, and answered 404. Status calls only. */
  lostPurchaseRate: number;
  /** Answer 429 at once with `Retry-After`, before any latency; a rate-limited buy creates nothing. */
  rateLimitRate: number;
  /** The delay `Retry-After` announces, sent in whole seconds (at least 1). Not scaled. */
  retryAfterMs: number;
  /** A purchase is accepted but fails when its IP delay elapses. Drawn once per purchase, at creation. */
  failAfterAcceptRate: number;
  /** Multiplies every latency and IP delay (not `retryAfterMs`): 0.05 runs a profile 20 times faster. */
  scale: number;
  /** The operations faults apply to (default: all). */
  ops: SimulatedOp[];
}

/** The defaults, and what a reset goes back to: no faults, the fast profile, unscaled. */
export const DEFAULT_SETTINGS: Readonly<FaultSettings> = Object.freeze({
  failRate: 0,
  permanentFailRate: 0,
  timeoutRate: 0,
  lostPurchaseRate: 0,
  rateLimitRate: 0,
  retryAfterMs: 1_000,
  failAfterAcceptRate: 0,
  ...PROFILES.fast,
  scale: 1,
  ops: [...SIMULATED_OPS],
});

/**
 * A change to the settings, as `POST /__sim/faults`, `setFaults` and `startSimulator({ faults })` take it.
 * Applied in this order, so that more specific fields win: `profile`, then `latencyMs` and `ipDelayMs`,
 * then `latency` and `ipDelay`, then everything else. Fields left out keep their current value.
 */
export interface SimulatorFaults extends Partial<Omit<FaultSettings, 'latency' | 'ipDelay'>> {
  /** Sets `latency` and `ipDelay` to those of the profile. */
  profile?: ProfileName;
  /** Sets every operation's latency to this fixed value. */
  latencyMs?: number;
  /** Sets the IP delay to this fixed value. */
  ipDelayMs?: number;
  /** Sets the latency of the operations given. */
  latency?: Partial<Record<SimulatedOp, MsRange>>;
  ipDelay?: MsRange;
}

const rate = z.number().min(0).max(1);
const milliseconds = z.number().int().min(0).max(600_000);
const range = z
  .tuple([milliseconds, milliseconds])
  .refine(([min, max]) => min <= max, { message: 'expected [min, max] with min <= max' });

/** Validates a `SimulatorFaults`; unknown fields are refused so that a typo cannot pass for a setting. */
export const FaultsPatchSchema: z.ZodType<SimulatorFaults> = z.strictObject({
  profile: z.enum(PROFILE_NAMES).optional(),
  scale: z.number().min(0).max(100).optional(),
  latencyMs: milliseconds.optional(),
  ipDelayMs: milliseconds.optional(),
  latency: z.strictObject({ find: range.optional(), buy: range.optional(), status: range.optional() }).optional(),
  ipDelay: range.optional(),
  failRate: rate.optional(),
  permanentFailRate: rate.optional(),
  timeoutRate: rate.optional(),
  lostPurchaseRate: rate.optional(),
  rateLimitRate: rate.optional(),
  retryAfterMs: milliseconds.optional(),
  failAfterAcceptRate: rate.optional(),
  ops: z.array(z.enum(SIMULATED_OPS)).optional(),
});

/** The settings after `patch`, which must have been validated; `current` is left as it was. */
export function applyFaults(current: Readonly<FaultSettings>, patch: SimulatorFaults): FaultSettings {
  const { profile, latencyMs, ipDelayMs, latency, ipDelay, ...rest } = patch;
  const next = cloneSettings(current);
  if (profile !== undefined) Object.assign(next, cloneTiming(PROFILES[profile]));
  if (latencyMs !== undefined) next.latency = { find: [latencyMs, latencyMs], buy: [latencyMs, latencyMs], status: [latencyMs, latencyMs] };
  if (ipDelayMs !== undefined) next.ipDelay = [ipDelayMs, ipDelayMs];
  for (const op of SIMULATED_OPS) {
    const given = latency?.[op];
    if (given) next.latency[op] = [given[0], given[1]];
  }
  if (ipDelay !== undefined) next.ipDelay = [ipDelay[0], ipDelay[1]];
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) Object.assign(next, { [key]: Array.isArray(value) ? [...value] : value });
  }
  return next;
}

/** Whether `patch` may change when purchases get their IP. */
export function changesIpDelay(patch: SimulatorFaults): boolean {
  return patch.profile !== undefined || patch.ipDelayMs !== undefined || patch.ipDelay !== undefined || patch.scale !== undefined;
}

/**
 * The settings as the control API shows them: the original six fields always (`latencyMs` and `ipDelayMs`
 * are null when they are ranges rather than one fixed value), every other field only when it is not at
 * its default, so that a client that knows only the original fields sees nothing new until it asks.
 */
export function describeFaults(settings: Readonly<FaultSettings>): Record<string, unknown> {
  const latencyMs = sameFixedValue(SIMULATED_OPS.map((op) => settings.latency[op]));
  const ipDelayMs = sameFixedValue([settings.ipDelay]);
  const view: Record<string, unknown> = {
    failRate: settings.failRate,
    permanentFailRate: settings.permanentFailRate,
    timeoutRate: settings.timeoutRate,
    latencyMs,
    ipDelayMs,
    ops: [...settings.ops],
  };
  if (latencyMs === null) view.latency = cloneTiming(settings).latency;
  if (ipDelayMs === null) view.ipDelay = [...settings.ipDelay];
  for (const key of ['lostPurchaseRate', 'rateLimitRate', 'retryAfterMs', 'failAfterAcceptRate', 'scale'] as const) {
    if (settings[key] !== DEFAULT_SETTINGS[key]) view[key] = settings[key];
  }
  return view;
}

/** A draw from `range`, scaled, in whole milliseconds. */
export function drawMs(range: MsRange, scale: number): number {
  const [min, max] = range;
  return Math.round((min + Math.random() * (max - min)) * scale);
}

export function cloneSettings(settings: Readonly<FaultSettings>): FaultSettings {
  return { ...settings, ...cloneTiming(settings), ops: [...settings.ops] };
}

function cloneTiming(timing: Readonly<Timing>): Timing {
  const { find, buy, status } = timing.latency;
  return { latency: { find: [...find], buy: [...buy], status: [...status] }, ipDelay: [...timing.ipDelay] };
}

/** The one fixed value all `ranges` are, or null. */
function sameFixedValue(ranges: MsRange[]): number | null {
  const first = ranges[0];
  if (!first) return null;
  return ranges.every(([min, max]) => min === first[0] && max === first[0]) ? first[0] : null;
}
