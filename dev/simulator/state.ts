import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ProviderName } from '../../src/providers/types';

export const SIMULATED_OPS = ['find', 'buy', 'status'] as const;
export type SimulatedOp = (typeof SIMULATED_OPS)[number];

/** Failure injection, drawn per request. Rates are probabilities in 0..1. */
export interface SimulatorFaults {
  /** Answer 503. */
  failRate: number;
  /** Answer a buy with 422 and a reason (out of stock); other operations ignore it. */
  permanentFailRate: number;
  /** Never answer. A buy is recorded first: the provider took the order but we never hear back. */
  timeoutRate: number;
  /** Delay before every provider response. */
  latencyMs: number;
  /** How long after creation a purchase turns active with an IP. */
  ipDelayMs: number;
  /** The operations faults apply to (default: all). */
  ops?: SimulatedOp[];
}

/** Counters since the last reset. */
export interface SimulatorStats {
  /** Purchases created per order reference: 2 means a double buy. */
  buys: Record<string, number>;
  /** Per SmartVPS package: buys received while another buy on the same package was unanswered. */
  concurrentBuyViolations: Record<string, number>;
  buyRequests: number;
  statusRequests: number;
  findRequests: number;
  purchases: number;
  faultsInjected: { fail: number; permanent: number; timeout: number };
}

export type FaultKind = keyof SimulatorStats['faultsInjected'];

/** Defaults: no faults, and a short wait for the IP so the pending → active path is exercised. */
export const DEFAULT_FAULTS: Readonly<Required<SimulatorFaults>> = Object.freeze({
  failRate: 0,
  permanentFailRate: 0,
  timeoutRate: 0,
  latencyMs: 0,
  ipDelayMs: 1000,
  ops: [...SIMULATED_OPS],
});

const rate = z.number().min(0).max(1);
const milliseconds = z.number().int().min(0).max(600_000);

/** A change to the faults, as `POST /__sim/faults` and `setFaults` accept it. */
export const FaultsPatchSchema = z.strictObject({
  failRate: rate.optional(),
  permanentFailRate: rate.optional(),
  timeoutRate: rate.optional(),
  latencyMs: milliseconds.optional(),
  ipDelayMs: milliseconds.optional(),
  ops: z.array(z.enum(SIMULATED_OPS)).optional(),
});

/** A purchase as the simulator keeps it; each API renders it in its own shape. */
export interface SimulatedPurchase {
  provider: ProviderName;
  id: string;
  orderReference: string;
  idempotencyKey: string | undefined;
  plan: string;
  os: string;
  packageName: string | undefined;
  createdAt: number;
  /** Allocated at creation, shown only once the purchase is ready. */
  ipAddress: string;
  credentials: { username: string; password: string };
}

export type BuyInput = Pick<SimulatedPurchase, 'provider' | 'orderReference' | 'idempotencyKey' | 'plan' | 'os' | 'packageName'> & {
  username: string;
};

export type BuyResult =
  | { outcome: 'created' | 'replayed'; purchase: SimulatedPurchase }
  /** The idempotency key was used before for a different purchase. */
  | { outcome: 'conflict'; purchase: SimulatedPurchase };

/** Purchases, faults and counters of one simulator. */
export class SimulatorState {
  private currentFaults: Required<SimulatorFaults> = cloneFaults(DEFAULT_FAULTS);
  private purchases = new Map<string, SimulatedPurchase>();
  private byIdempotencyKey = new Map<string, SimulatedPurchase>();
  private counters = emptyCounters();
  /** Unanswered buys per package. Not cleared by reset: those requests are still really open. */
  private readonly buysInFlight = new Map<string, number>();
  // Ids and IPs keep counting across resets, so a reference remembered from before never means another purchase.
  private nextOrderNumber = 100_001;
  private nextIpNumber = 0;

  constructor(faults: Partial<SimulatorFaults> = {}) {
    this.setFaults(faults);
  }

  get faults(): Required<SimulatorFaults> {
    return cloneFaults(this.currentFaults);
  }

  setFaults(patch: Partial<SimulatorFaults>): Required<SimulatorFaults> {
    const parsed = FaultsPatchSchema.parse(patch);
    const defined = Object.fromEntries(Object.entries(parsed).filter(([, value]) => value !== undefined));
    this.currentFaults = cloneFaults({ ...this.currentFaults, ...defined });
    return this.faults;
  }

  reset(): void {
    this.currentFaults = cloneFaults(DEFAULT_FAULTS);
    this.purchases.clear();
    this.byIdempotencyKey.clear();
    this.counters = emptyCounters();
  }

  stats(): SimulatorStats {
    const c = this.counters;
    return {
      buys: Object.fromEntries(c.buys),
      concurrentBuyViolations: Object.fromEntries(c.concurrentBuyViolations),
      buyRequests: c.buyRequests,
      statusRequests: c.statusRequests,
      findRequests: c.findRequests,
      purchases: this.purchases.size,
      faultsInjected: { ...c.faultsInjected },
    };
  }

  countRequest(op: SimulatedOp): void {
    if (op === 'buy') this.counters.buyRequests += 1;
    else if (op === 'status') this.counters.statusRequests += 1;
    else this.counters.findRequests += 1;
  }

  /** Marks a buy on `packageName` as received; call the returned function once it is answered. */
  enterBuy(packageName: string): () => void {
    const open = this.buysInFlight.get(packageName) ?? 0;
    if (open > 0) increment(this.counters.concurrentBuyViolations, packageName);
    this.buysInFlight.set(packageName, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.buysInFlight.get(packageName) ?? 1) - 1;
      if (left > 0) this.buysInFlight.set(packageName, left);
      else this.buysInFlight.delete(packageName);
    };
  }

  /** Decides whether this request fails, and how. */
  drawFault(op: SimulatedOp): FaultKind | undefined {
    const f = this.currentFaults;
    if (!f.ops.includes(op)) return undefined;
    let fault: FaultKind | undefined;
    if (Math.random() < f.timeoutRate) fault = 'timeout';
    else if (Math.random() < f.failRate) fault = 'fail';
    else if (op === 'buy' && Math.random() < f.permanentFailRate) fault = 'permanent';
    if (fault) this.counters.faultsInjected[fault] += 1;
    return fault;
  }

  /** Creates a purchase, or returns the one made earlier with the same idempotency key. */
  buy(input: BuyInput): BuyResult {
    const keyId = input.idempotencyKey === undefined ? undefined : `${input.provider}:${input.idempotencyKey}`;
    const existing = keyId === undefined ? undefined : this.byIdempotencyKey.get(keyId);
    if (existing) return { outcome: sameRequest(existing, input) ? 'replayed' : 'conflict', purchase: existing };
    const purchase = this.create(input);
    if (keyId !== undefined) this.byIdempotencyKey.set(keyId, purchase);
    return { outcome: 'created', purchase };
  }

  get(provider: ProviderName, id: string): SimulatedPurchase | undefined {
    return this.purchases.get(`${provider}:${id}`);
  }

  /** Purchases of one provider, optionally only those for one order reference, oldest first. */
  list(provider: ProviderName, orderReference?: string): SimulatedPurchase[] {
    return [...this.purchases.values()].filter(
      (p) => p.provider === provider && (orderReference === undefined || p.orderReference === orderReference),
    );
  }

  /** Ready (active, IP shown) once `ipDelayMs` has passed since creation, as of now. */
  isReady(purchase: SimulatedPurchase): boolean {
    return Date.now() - purchase.createdAt >= this.currentFaults.ipDelayMs;
  }

  private create(input: BuyInput): SimulatedPurchase {
    const purchase: SimulatedPurchase = {
      provider: input.provider,
      id: input.provider === 'smartvps' ? `srv_${randomBytes(6).toString('hex')}` : String(this.nextOrderNumber++),
      orderReference: input.orderReference,
      idempotencyKey: input.idempotencyKey,
      plan: input.plan,
      os: input.os,
      packageName: input.packageName,
      createdAt: Date.now(),
      ipAddress: this.allocateIp(),
      credentials: { username: input.username, password: randomBytes(12).toString('base64url') },
    };
    this.purchases.set(`${purchase.provider}:${purchase.id}`, purchase);
    increment(this.counters.buys, purchase.orderReference);
    return purchase;
  }

  /** 10.x.y.z, skipping .0 and .255; private space, and nothing ever listens there. */
  private allocateIp(): string {
    do {
      this.nextIpNumber = (this.nextIpNumber + 1) % 0x1000000;
    } while ((this.nextIpNumber & 0xff) === 0 || (this.nextIpNumber & 0xff) === 0xff);
    const n = this.nextIpNumber;
    return `10.${(n >> 16) & 0xff}.${(n >> 8) & 0xff}.${n & 0xff}`;
  }
}

function sameRequest(purchase: SimulatedPurchase, input: BuyInput): boolean {
  return (
    purchase.orderReference === input.orderReference &&
    purchase.plan === input.plan &&
    purchase.os === input.os &&
    purchase.packageName === input.packageName
  );
}

function emptyCounters() {
  return {
    buys: new Map<string, number>(),
    concurrentBuyViolations: new Map<string, number>(),
    buyRequests: 0,
    statusRequests: 0,
    findRequests: 0,
    faultsInjected: { fail: 0, permanent: 0, timeout: 0 },
  };
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function cloneFaults(faults: Readonly<Required<SimulatorFaults>>): Required<SimulatorFaults> {
  return { ...faults, ops: [...faults.ops] };
}
