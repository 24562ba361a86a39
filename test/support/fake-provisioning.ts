import { randomBytes } from 'node:crypto';
import { createLogger } from '../../src/observability/logger';
import type { HeldLock, PackageLocks } from '../../src/locks/package-lock';
import type { ProviderPauses } from '../../src/locks/provider-pauses';
import { ProviderError, type ProviderErrorKind } from '../../src/providers/provider-error';
import type { ProviderClient, ProviderName, ProviderOperation, Purchase, PurchaseRequest } from '../../src/providers/types';
import type { ProvisionDeps, ProvisionSettings } from '../../src/provisioning/provision-order';
import type { OrderState } from '../../src/order-state/order-state';

/**
 * Fakes for unit tests of provisionOrder, standing in for what needs a network (the provider, the Redis
 * lock and pauses) and for time. Integration tests use the real ones against the simulator and Redis.
 */

/** A clock that never waits: sleeping moves time on. */
export class FakeClock {
  constructor(private current = new Date('2026-12-01T10:00:00Z')) {}
  now = (): Date => new Date(this.current);
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
  sleep = async (ms: number): Promise<void> => {
    this.advance(ms);
  };
}

export function providerError(operation: ProviderOperation, kind: ProviderErrorKind, status?: number, retryAfterMs?: number): ProviderError {
  return new ProviderError(`Fake ${operation} failed: ${kind}${status ? ` (HTTP ${status})` : ''}`, {
    provider: 'smartvps',
    operation,
    kind,
    ...(status === undefined ? {} : { status }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

interface FakePurchase extends Purchase {
  orderReference: string;
  idempotencyKey: string;
  statusCalls: number;
}

/** What the next call of an operation does instead of answering normally. */
type Scripted = ProviderError | { timeoutAfterCreating: true };

/**
 * A provider in memory: buys are idempotent per key, a purchase turns active after `readyAfter` status
 * calls, and any call can be scripted to fail.
 */
export class FakeProvider implements ProviderClient {
  readonly purchases = new Map<string, FakePurchase>();
  readonly calls: { op: ProviderOperation; arg: string }[] = [];
  readyAfter = 1;
  /** Report purchases as failed by the provider once ready. */
  failWhenReady = false;
  private readonly scripts: Record<ProviderOperation, Scripted[]> = { find: [], buy: [], status: [] };

  constructor(readonly name: ProviderName = 'smartvps') {}

  /** The next `times` calls of `op` do `what`. */
  script(op: ProviderOperation, what: Scripted, times = 1): this {
    for (let i = 0; i < times; i += 1) this.scripts[op].push(what);
    return this;
  }

  buys(): FakePurchase[] {
    return [...this.purchases.values()];
  }

  /** The provider forgets a purchase (a status call on it answers 404). */
  forget(reference: string): void {
    this.purchases.delete(reference);
  }

  async findPurchase(orderReference: string): Promise<Purchase | null> {
    this.calls.push({ op: 'find', arg: orderReference });
    this.scripted('find');
    const found = this.buys().find((p) => p.orderReference === orderReference);
    return found ? this.view(found) : null;
  }

  async buy(request: PurchaseRequest): Promise<Purchase> {
    this.calls.push({ op: 'buy', arg: request.idempotencyKey });
    const next = this.scripts.buy.shift();
    if (next instanceof ProviderError) throw next;
    const existing = this.buys().find((p) => p.idempotencyKey === request.idempotencyKey);
    const purchase =
      existing ??
      ({
        reference: `ref_${randomBytes(4).toString('hex')}`,
        status: 'pending',
        orderReference: request.orderReference,
        idempotencyKey: request.idempotencyKey,
        statusCalls: 0,
      } satisfies FakePurchase);
    this.purchases.set(purchase.reference, purchase);
    if (next) throw providerError('buy', 'timeout');
    return this.view(purchase);
  }

  async getPurchase(reference: string): Promise<Purchase> {
    this.calls.push({ op: 'status', arg: reference });
    this.scripted('status');
    const purchase = this.purchases.get(reference);
    if (!purchase) throw providerError('status', 'permanent', 404);
    purchase.statusCalls += 1;
    return this.view(purchase);
  }

  private scripted(op: ProviderOperation): void {
    const next = this.scripts[op].shift();
    if (next instanceof ProviderError) throw next;
  }

  private view(purchase: FakePurchase): Purchase {
    if (purchase.statusCalls < this.readyAfter) return { reference: purchase.reference, status: 'pending' };
    if (this.failWhenReady) return { reference: purchase.reference, status: 'failed', error: 'out of capacity' };
    return { reference: purchase.reference, status: 'active', ipAddress: '10.0.0.7', credentials: { username: 'root', password: 'fake-password' } };
  }
}

/**
 * Package locks in a Map; `validityMs` is what confirm() reports (a lock about to expire reports little),
 * `certainMs` what certainForMs() does (a lock granted moments ago: the TTL).
 */
export class FakeLocks implements PackageLocks {
  readonly holders = new Map<string, string>();
  readonly events: string[] = [];
  validityMs = 60_000;
  certainMs = 60_000;

  async tryAcquire(packageName: string): Promise<HeldLock | null> {
    if (this.holders.has(packageName)) return null;
    const identifier = randomBytes(4).toString('hex');
    this.holders.set(packageName, identifier);
    this.events.push(`acquire ${packageName}`);
    return this.handle(packageName, identifier);
  }

  async resume(packageName: string, identifier: string): Promise<HeldLock | null> {
    const holder = this.holders.get(packageName);
    if (holder !== undefined && holder !== identifier) return null;
    this.holders.set(packageName, identifier);
    this.events.push(`resume ${packageName}`);
    return this.handle(packageName, identifier);
  }

  private handle(packageName: string, identifier: string): HeldLock {
    const ours = () => this.holders.get(packageName) === identifier;
    return {
      packageName,
      identifier,
      lostSignal: new AbortController().signal,
      confirm: async () => {
        this.events.push(`confirm ${packageName}`);
        return ours() ? this.validityMs : 0;
      },
      certainForMs: () => (ours() ? this.certainMs : 0),
      keepFor: async (ms) => {
        this.events.push(`keep ${packageName} ${ms}`);
        return ours();
      },
      release: async () => {
        if (ours()) this.holders.delete(packageName);
        this.events.push(`release ${packageName}`);
      },
    };
  }
}

export class FakePauses implements ProviderPauses {
  private readonly until = new Map<ProviderName, number>();
  constructor(private readonly clock: FakeClock) {}
  async pause(provider: ProviderName, ms: number): Promise<void> {
    this.until.set(provider, Math.max(this.until.get(provider) ?? 0, this.clock.now().getTime() + ms));
  }
  async remainingMs(provider: ProviderName): Promise<number> {
    return Math.max(0, (this.until.get(provider) ?? 0) - this.clock.now().getTime());
  }
}

export const UNIT_SETTINGS: ProvisionSettings = {
  pollIntervalMs: 5_000,
  pollTimeoutMs: 600_000,
  lockMaxWaitMs: 900_000,
  lockRetryDelayMs: 5_000,
  buyLockValidityMs: 25_000,
  buyGraceMs: 10_000,
  rateLimitMaxWaitMs: 1_800_000,
  backoffMs: (attempt) => [60_000, 180_000, 300_000][Math.min(attempt, 3) - 1] as number,
};

/** A full set of provisionOrder deps over fakes and the given order state. */
export function fakeDeps(orders: OrderState, overrides: Partial<ProvisionDeps> = {}) {
  const clock = new FakeClock();
  const providers = { smartvps: new FakeProvider('smartvps'), hostycare: new FakeProvider('hostycare') };
  const locks = new FakeLocks();
  const jobEvents: string[] = [];
  const dispatched: string[] = [];
  const shutdown = new AbortController();
  const deps: ProvisionDeps = {
    orders,
    providers,
    locks,
    pauses: new FakePauses(clock),
    events: { dispatch: async (_orderId, eventId) => void dispatched.push(eventId) },
    credentialsKey: Buffer.alloc(32, 7),
    logger: createLogger({ level: 'silent' }),
    clock,
    signal: shutdown.signal,
    settings: UNIT_SETTINGS,
    job: {
      lockHeld: async () => void jobEvents.push('lockHeld'),
      deathsRecorded: async () => void jobEvents.push('deathsRecorded'),
    },
    ...overrides,
  };
  return { deps, clock, providers, locks, jobEvents, shutdown, dispatched };
}
