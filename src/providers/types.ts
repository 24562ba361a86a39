export const PROVIDER_NAMES = ['smartvps', 'hostycare'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** How each provider is named for people (messages, the admin page). */
export const PROVIDER_LABELS: Record<ProviderName, string> = { smartvps: 'SmartVPS', hostycare: 'Hostycare' };

/** What the worker asks a provider to buy. */
export interface PurchaseRequest {
  /** Our reference for the order at the provider: the order id as a string. */
  orderReference: string;
  /** Derived from the order id: a repeated buy with the same key returns the same purchase. */
  idempotencyKey: string;
  /** The provider's plan code, e.g. `4gb`. */
  plan: string;
  /** Operating system image, e.g. `ubuntu-22.04`. */
  os: string;
  /** SmartVPS only: the package the server is bought from, e.g. `103.101`. */
  packageName?: string;
}

export interface ServerCredentials {
  username: string;
  password: string;
}

/** A purchase as the provider reports it. */
export interface Purchase {
  /** The provider's id for the purchase; stored on the order the moment a buy is accepted. */
  reference: string;
  status: 'pending' | 'active' | 'failed';
  ipAddress?: string;
  credentials?: ServerCredentials;
  /** Why the provider failed the purchase (status `failed`). */
  error?: string;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export type ProviderOperation = 'find' | 'buy' | 'status';

/** Observes every provider HTTP call (for metrics); never sees credentials. */
export type ProviderCallObserver = (event: {
  provider: ProviderName;
  operation: ProviderOperation;
  durationMs: number;
  outcome: 'ok' | 'not_found' | 'permanent' | 'transient' | 'rate_limited' | 'timeout';
}) => void;

/**
 * One provider's API, as the worker needs it. Every failure is thrown as a `ProviderError` that says
 * whether retrying can help.
 */
export interface ProviderClient {
  readonly name: ProviderName;
  /** Looks up the purchase made for our order reference, or null when there is none. */
  findPurchase(orderReference: string, options?: CallOptions): Promise<Purchase | null>;
  /** Buys a server. Idempotent per `idempotencyKey`. */
  buy(request: PurchaseRequest, options?: CallOptions): Promise<Purchase>;
  /** Current state of a purchase, by the provider's reference. */
  getPurchase(reference: string, options?: CallOptions): Promise<Purchase>;
}

export interface ProviderClientOptions {
  baseUrl: string;
  apiKey: string;
  /** Per-request time limit. */
  timeoutMs: number;
  onCall?: ProviderCallObserver;
}
