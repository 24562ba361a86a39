import type { AuditEventView, BulkProvisionAnswer, OrderView } from '../api/schemas';

export type { AuditEventView, BulkProvisionAnswer, OrderView };
export type OrderStatusValue = OrderView['status'];

/** The list's filters; `q` is the search (an order id or a customer's email). */
export interface OrderFilters {
  status?: string;
  provisioningStatus?: string;
  provider?: string;
  q?: string;
}

export interface OrderPage {
  orders: OrderView[];
  nextCursor: string | null;
}

/** What a Provision/Retry/Run now click led to, as a toast shows it. */
export interface ProvisionOutcome {
  kind: 'success' | 'info' | 'error';
  message: string;
}

/** What a bulk Retry acts on: orders by id, or every order matching a filter (without `q`). */
export type BulkSelection = { orderIds: string[] } | { filter: Omit<OrderFilters, 'q'> };

/** An API answer that was not a success, with the API's error code, human message and details. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** From a 429's Retry-After: how long to wait before trying again. */
    readonly retryAfterSeconds?: number,
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

export const PAGE_SIZE = 25;
/** The API's largest page, used when the page gathers every match of a search. */
const MAX_PAGE_SIZE = 100;

function field(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null || !(name in value)) return undefined;
  return (value as Record<string, unknown>)[name];
}

function text(value: unknown, name: string): string | undefined {
  const found = field(value, name);
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
    const retryAfter = Number(res.headers.get('Retry-After') ?? Number.NaN);
    throw new ApiError(
      res.status,
      text(data, 'error') ?? `http_${res.status}`,
      text(data, 'message') ?? `The API answered ${res.status}.`,
      field(data, 'details'),
      Number.isFinite(retryAfter) ? retryAfter : undefined,
    );
  }
  return { status: res.status, body: data as T };
}

/** Trades the admin token for the HttpOnly session cookie; the token is not kept anywhere. Resolves to the admin's name. */
export async function signIn(token: string): Promise<string> {
  return (await call<{ name: string }>('POST', '/admin/session', { token })).body.name;
}

/** The signed-in admin's name, or null when there is no (valid) session. */
export async function currentAdmin(): Promise<string | null> {
  try {
    return (await call<{ name: string }>('GET', '/admin/session')).body.name;
  } catch (error) {
    if (error instanceof ApiError && error.signedOut) return null;
    throw error;
  }
}

export async function signOut(): Promise<void> {
  await call<void>('DELETE', '/admin/session');
}

function ordersPath(filters: OrderFilters, cursor: string | null, limit: number): string {
  const query = new URLSearchParams({ limit: String(limit) });
  for (const [name, value] of Object.entries(filters)) {
    if (value) query.set(name, value);
  }
  if (cursor) query.set('cursor', cursor);
  return `/api/orders?${query.toString()}`;
}

export async function listOrders(filters: OrderFilters, cursor: string | null): Promise<OrderPage> {
  return (await call<OrderPage>('GET', ordersPath(filters, cursor, PAGE_SIZE))).body;
}

/**
 * The ids of every order matching the filters, search included, up to `max`. For a bulk Retry of a
 * search: the bulk route's filter has no `q`, and a search matches one order or one customer's few.
 */
export async function listOrderIds(filters: OrderFilters, max: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: OrderPage = (await call<OrderPage>('GET', ordersPath(filters, cursor, MAX_PAGE_SIZE))).body;
    ids.push(...page.orders.map((order) => order.id));
    cursor = page.nextCursor;
  } while (cursor !== null && ids.length < max);
  return ids.slice(0, max);
}

/** One order with its attempt history and audit entries. */
export async function getOrder(orderId: string): Promise<OrderView> {
  return (await call<OrderView>('GET', `/api/orders/${encodeURIComponent(orderId)}`)).body;
}

/**
 * POST provision; the API's answer (or its refusal, e.g. `in_progress`) becomes a toast. With `now`,
 * a live job waiting out a delay runs at once (`promoted`).
 */
export async function provision(orderId: string, options: { now?: boolean } = {}): Promise<ProvisionOutcome> {
  try {
    const path = `/api/orders/${encodeURIComponent(orderId)}/provision`;
    const { body } = await call<{ outcome: string; jobId?: string }>('POST', path, options.now ? { now: true } : undefined);
    switch (body.outcome) {
      case 'promoted':
        return { kind: 'success', message: `The job of order ${orderId} runs now.` };
      case 'queued':
        return { kind: 'success', message: `Provisioning queued for order ${orderId}.` };
      default:
        return { kind: 'info', message: `Order ${orderId} is already active.` };
    }
  } catch (error) {
    if (error instanceof ApiError && error.code === 'in_progress') return { kind: 'info', message: error.message };
    throw error;
  }
}

/** A bulk Retry (admins): with `dryRun`, only what each order would answer. */
export async function bulkProvision(selection: BulkSelection, dryRun: boolean): Promise<BulkProvisionAnswer> {
  return (await call<BulkProvisionAnswer>('POST', '/api/orders/provision', { ...selection, dryRun })).body;
}
