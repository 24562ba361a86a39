import type { OrderView } from '../api/schemas';

export type { OrderView };
export type OrderStatusValue = OrderView['status'];

export interface OrderFilters {
  status?: string;
  provisioningStatus?: string;
  provider?: string;
}

export interface OrderPage {
  orders: OrderView[];
  nextCursor: string | null;
}

/** What a Provision/Retry click led to, as a toast shows it. */
export interface ProvisionOutcome {
  kind: 'success' | 'info' | 'error';
  message: string;
}

/** An API answer that was not a success, with the API's error code and human message. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** The session is gone (expired, signed out elsewhere, or the token rotated). */
  get signedOut(): boolean {
    return this.status === 401;
  }
}

/**
 * Sent on every call: the API accepts the session cookie for state-changing requests only with it,
 * which a cross-site form cannot send.
 */
const CSRF_HEADERS = { 'X-Requested-With': 'vps-admin' };

const PAGE_SIZE = 25;

function field(value: unknown, name: string): string | undefined {
  if (typeof value !== 'object' || value === null || !(name in value)) return undefined;
  const found: unknown = (value as Record<string, unknown>)[name];
  return typeof found === 'string' ? found : undefined;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { ...CSRF_HEADERS, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'The API did not answer. Check the connection and try again.');
  }
  const data: unknown = res.status === 204 ? undefined : await res.json().catch(() => undefined);
  if (!res.ok) {
    throw new ApiError(res.status, field(data, 'error') ?? `http_${res.status}`, field(data, 'message') ?? `The API answered ${res.status}.`);
  }
  return { status: res.status, body: data as T };
}

/** Trades the admin token for the HttpOnly session cookie; the token is not kept anywhere. */
export async function signIn(token: string): Promise<void> {
  await call<void>('POST', '/admin/session', { token });
}

export async function signOut(): Promise<void> {
  await call<void>('DELETE', '/admin/session');
}

export async function listOrders(filters: OrderFilters, cursor: string | null): Promise<OrderPage> {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  for (const [name, value] of Object.entries(filters)) {
    if (value) query.set(name, value);
  }
  if (cursor) query.set('cursor', cursor);
  return (await call<OrderPage>('GET', `/api/orders?${query.toString()}`)).body;
}

export async function getOrder(orderId: string): Promise<OrderView> {
  return (await call<OrderView>('GET', `/api/orders/${encodeURIComponent(orderId)}`)).body;
}

/** POST provision; the API's answer (or its refusal, e.g. `in_progress`) becomes a toast. */
export async function provision(orderId: string): Promise<ProvisionOutcome> {
  try {
    const { status } = await call<{ outcome: string; jobId?: string }>('POST', `/api/orders/${encodeURIComponent(orderId)}/provision`);
    if (status === 202) return { kind: 'success', message: `Provisioning queued for order ${orderId}.` };
    return { kind: 'info', message: `Order ${orderId} is already active.` };
  } catch (error) {
    if (error instanceof ApiError && error.code === 'in_progress') return { kind: 'info', message: error.message };
    throw error;
  }
}
