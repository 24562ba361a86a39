import { randomBytes } from 'node:crypto';
import type { ProviderName } from '../../src/providers/types';
import {
  applyFaults,
  changesIpDelay,
  cloneSettings,
  DEFAULT_SETTINGS,
  drawMs,
  FaultsPatchSchema,
  type FaultSettings,
  type SimulatedOp,
  type SimulatorFaults,
} from './faults';

export { SIMULATED_OPS, type SimulatedOp, type SimulatorFaults } from './faults';

/** Counters since the last reset. */
export interface SimulatorStats {
  /** Purchases created per order reference: 2 means a double buy. */
  buys: Record<string, number>;
  /**
   * Per SmartVPS package: buys received while another buy on the same package was still being processed
   * (from its arrival until its buy latency elapsed), whether or not that other client was still waiting.
   */
  concurrentBuyViolations: Record<string, number>;
  buyRequests: number;
  statusRequests: number;
  findRequests: number;
  /** Purchases the provider knows now (lost ones no longer count). */
  purchases: number;
  /**
   * Faults injected, per kind. `fail`, `permanent` and `timeout` are always listed; the newer kinds
   * appear once they have happened, so that the answer stays what clients of the original three expect.
   */
  faultsInjected: FaultCounts;
}

export interface FaultCounts {
  fail: number;
  permanent: number;
  timeout: number;
  /** Purchases forgotten, by `lostPurchaseRate` or `POST /__sim/forget`. */
  lost?: number;
  /** Requests answered 429. */
  rateLimited?: number;
  /** Purchases that were accepted and will fail (or have failed) when their IP delay elapses. */
  failedAfterAccept?: number;
}

export type FaultKind = keyof FaultCounts;

/** A fault that decides how a request is answered after its latency. */
export type ResponseFault = 'fail' | 'permanent' | 'timeout';

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
  /** When its IP delay elapses: from then on it is running with its IP, or failed when `failure` is set. */
  readyAt: number;
  /** Allocated at creation, shown only once the purchase is ready. */
  ipAddress: string;
  credentials: { username: string; password: string };
  /** Why the provider will fail it when its IP delay elapses (`failAfterAcceptRate`), if it will. */
  failure: string | undefined;
}

/** Where a purchase stands, as of now. */
export type PurchasePhase = 'pending' | 'ready' | 'failed';

export type BuyInput = Pick<SimulatedPurchase, 'provider' | 'orderReference' | 'idempotencyKey' | 'plan' | 'os' | 'packageName'> & {
  username: string;
  /** Why the provider would fail this purchase, in its own words, should `failAfterAcceptRate` pick it. */
  failureReason: string;
};

export type BuyResult =
  | { outcome: 'created' | 'replayed'; purchase: SimulatedPurchase }
  /** The idempotency key was used before for a different purchase. */
  | { outcome: 'conflict'; purchase: SimulatedPurchase };

/** Purchases, fault settings and counters of one simulator. */
export class SimulatorState {
  private settings: FaultSettings = cloneSettings(DEFAULT_SETTINGS);
  private purchases = new Map<string, SimulatedPurchase>();
  private byIdempotencyKey = new Map<string, SimulatedPurchase>();
  private counters = emptyCounters();
  /** Buys being processed per package. Not cleared by reset: those buys are still really under way. */
  private readonly buysInFlight = new Map<string, number>();
  // Ids and IPs keep counting across resets, so a reference remembered from before never means another purchase.
  private nextOrderNumber = 100_001;
  private nextIpNumber = 0;

  constructor(faults: SimulatorFaults = {}) {
    this.setFaults(faults);
  }

  get faults(): FaultSettings {
    return cloneSettings(this.settings);
  }

  /**
   * Validates and applies a change (throws a ZodError and changes nothing when invalid). A change to the IP
   * delay also applies to purchases still waiting for their IP, as if they had been created under it;
   * a purchase that is already running stays running.
   */
  setFaults(patch: SimulatorFaults): FaultSettings {
    const parsed = FaultsPatchSchema.parse(patch);
    this.settings = applyFaults(this.settings, parsed);
    if (changesIpDelay(parsed)) this.redrawPendingIpDelays();
    return this.faults;
  }

  reset(): void {
    this.settings = cloneSettings(DEFAULT_SETTINGS);
    this.purchases.clear();
    this.byIdempotencyKey.clear();
    this.counters = emptyCounters();
  }

  stats(): SimulatorStats {
    const c = this.counters;
    const { fail, permanent, timeout, ...newer } = c.faultsInjected;
    const happened = Object.entries(newer).filter(([, count]) => count > 0);
    return {
      buys: Object.fromEntries(c.buys),
      concurrentBuyViolations: Object.fromEntries(c.concurrentBuyViolations),
      buyRequests: c.buyRequests,
      statusRequests: c.statusRequests,
      findRequests: c.findRequests,
      purchases: this.purchases.size,
      faultsInjected: { fail, permanent, timeout, ...Object.fromEntries(happened) },
    };
  }

  countRequest(op: SimulatedOp): void {
    if (op === 'buy') this.counters.buyRequests += 1;
    else if (op === 'status') this.counters.statusRequests += 1;
    else this.counters.findRequests += 1;
  }

  /** The latency of one request of `op`, scaled, in ms. */
  drawLatency(op: SimulatedOp): number {
    return drawMs(this.settings.latency[op], this.settings.scale);
  }

  /** Marks a buy on `packageName` as being processed; call the returned function once it has been. */
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

  /** Whether this request is refused with 429; drawn on arrival. */
  drawRateLimit(op: SimulatedOp): boolean {
    return this.draw(op, this.settings.rateLimitRate, 'rateLimited');
  }

  /** The `Retry-After` of a 429, in whole seconds: HTTP has no smaller unit, and 0 would invite a hot loop. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.settings.retryAfterMs / 1000));
  }

  /** Decides whether this request fails once its latency has passed, and how. */
  drawFault(op: SimulatedOp): ResponseFault | undefined {
    if (this.draw(op, this.settings.timeoutRate, 'timeout')) return 'timeout';
    if (this.draw(op, this.settings.failRate, 'fail')) return 'fail';
    if (op === 'buy' && this.draw(op, this.settings.permanentFailRate, 'permanent')) return 'permanent';
    return undefined;
  }

  /** Decides whether a status call on `purchase` makes the provider forget it, and if so forgets it. */
  drawLost(purchase: SimulatedPurchase): boolean {
    if (!this.draw('status', this.settings.lostPurchaseRate, 'lost')) return false;
    this.remove(purchase);
    return true;
  }

  /** Forgets every purchase for `orderReference` (of one provider, if given) at once; says how many. */
  forget(orderReference: string, provider?: ProviderName): number {
    const forgotten = this.list(provider, orderReference);
    for (const purchase of forgotten) this.remove(purchase);
    this.counters.faultsInjected.lost += forgotten.length;
    return forgotten.length;
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

  /** Purchases (of one provider, for one order reference, when given), oldest first. */
  list(provider?: ProviderName, orderReference?: string): SimulatedPurchase[] {
    return [...this.purchases.values()].filter(
      (p) => (provider === undefined || p.provider === provider) && (orderReference === undefined || p.orderReference === orderReference),
    );
  }

  /** Pending until its IP delay has passed; then ready (running, IP shown), or failed. */
  phase(purchase: SimulatedPurchase): PurchasePhase {
    if (Date.now() < purchase.readyAt) return 'pending';
    return purchase.failure === undefined ? 'ready' : 'failed';
  }

  private draw(op: SimulatedOp, rate: number, kind: FaultKind): boolean {
    if (rate <= 0 || !this.settings.ops.includes(op) || Math.random() >= rate) return false;
    this.counters.faultsInjected[kind] += 1;
    return true;
  }

  private create(input: BuyInput): SimulatedPurchase {
    const createdAt = Date.now();
    const purchase: SimulatedPurchase = {
      provider: input.provider,
      id: input.provider === 'smartvps' ? `srv_${randomBytes(6).toString('hex')}` : String(this.nextOrderNumber++),
      orderReference: input.orderReference,
      idempotencyKey: input.idempotencyKey,
      plan: input.plan,
      os: input.os,
      packageName: input.packageName,
      createdAt,
      readyAt: createdAt + this.drawIpDelay(),
      ipAddress: this.allocateIp(),
      credentials: { username: input.username, password: randomBytes(12).toString('base64url') },
      failure: this.draw('buy', this.settings.failAfterAcceptRate, 'failedAfterAccept') ? input.failureReason : undefined,
    };
    this.purchases.set(`${purchase.provider}:${purchase.id}`, purchase);
    increment(this.counters.buys, purchase.orderReference);
    return purchase;
  }

  /** The provider no longer knows it: gone from lookups, and its idempotency key is free again. */
  private remove(purchase: SimulatedPurchase): void {
    this.purchases.delete(`${purchase.provider}:${purchase.id}`);
    if (purchase.idempotencyKey !== undefined) {
      const keyId = `${purchase.provider}:${purchase.idempotencyKey}`;
      if (this.byIdempotencyKey.get(keyId) === purchase) this.byIdempotencyKey.delete(keyId);
    }
  }

  private drawIpDelay(): number {
    return drawMs(this.settings.ipDelay, this.settings.scale);
  }

  private redrawPendingIpDelays(): void {
    const now = Date.now();
    for (const purchase of this.purchases.values()) {
      if (purchase.readyAt > now) purchase.readyAt = purchase.createdAt + this.drawIpDelay();
    }
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
    faultsInjected: { fail: 0, permanent: 0, timeout: 0, lost: 0, rateLimited: 0, failedAfterAccept: 0 } satisfies Required<FaultCounts>,
  };
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
