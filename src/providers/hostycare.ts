/**
 * Hostycare adapter. The API as we use it (JSON, every request carries `Authorization: Bearer <key>`):
 *
 *   POST /api/orders
 *        body { product, operating_system, client_ref, idempotency_key }
 *                                          → 201 { order: Order } (new) | 200 { order: Order } (same key seen before)
 *   GET  /api/orders?client_ref=<ref>      → 200 { data: Order[], total: number }
 *   GET  /api/orders/:order_id             → 200 { order: Order } | 404
 *
 *   Order = { order_id: number, client_ref: string, product: string, operating_system: string,
 *             state: 'provisioning' | 'completed' | 'cancelled',
 *             server: { hostname: string, primary_ip: string | null, username: string | null,
 *                       password: string | null } | null,
 *             failure_reason: string | null, created: unix seconds }
 *   Errors = { message: string, errors?: { [field]: string[] } } with 4xx/5xx; 429 may carry Retry-After.
 *
 * Hostycare's order ids are numbers; our `Purchase.reference` is their decimal string.
 */
import { z } from 'zod';
import { createJsonCaller, type JsonCaller } from './http';
import type { CallOptions, ProviderClient, ProviderClientOptions, Purchase, PurchaseRequest } from './types';

const OrderSchema = z.object({
  order_id: z.number().int().positive(),
  client_ref: z.string(),
  state: z.enum(['provisioning', 'completed', 'cancelled']),
  server: z
    .object({
      primary_ip: z.ipv4().nullish(),
      username: z.string().nullish(),
      password: z.string().nullish(),
    })
    .nullish(),
  failure_reason: z.string().nullish(),
  created: z.number(),
});
type Order = z.infer<typeof OrderSchema>;

const OrderEnvelopeSchema = z.object({ order: OrderSchema });
const OrderListSchema = z.object({ data: z.array(OrderSchema) });

const ErrorBodySchema = z.object({
  message: z.string(),
  errors: z.record(z.string(), z.array(z.string())).optional(),
});

const STATE: Record<Order['state'], Purchase['status']> = { provisioning: 'pending', completed: 'active', cancelled: 'failed' };

/** A Hostycare client speaking the API described at the top of this file. */
export function createHostycareClient(options: ProviderClientOptions): ProviderClient {
  const call = createJsonCaller({
    provider: 'hostycare',
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
    headers: { authorization: `Bearer ${options.apiKey}` },
    secrets: [options.apiKey],
    onCall: options.onCall,
    describeError,
  });
  return {
    name: 'hostycare',
    findPurchase: (orderReference, callOptions) => findPurchase(call, orderReference, callOptions),
    buy: (request, callOptions) => buy(call, request, callOptions),
    getPurchase: (reference, callOptions) => getPurchase(call, reference, callOptions),
  };
}

/** Hostycare puts a summary in `message` and the field-level reasons in `errors`. */
function describeError(body: unknown): string | undefined {
  const parsed = ErrorBodySchema.safeParse(body);
  if (!parsed.success) return undefined;
  const fieldReasons = Object.values(parsed.data.errors ?? {}).flat();
  const first = fieldReasons[0];
  return first && first !== parsed.data.message ? `${parsed.data.message} (${first})` : parsed.data.message;
}

async function findPurchase(call: JsonCaller, orderReference: string, options?: CallOptions): Promise<Purchase | null> {
  const { data } = await call({
    operation: 'find',
    method: 'GET',
    path: '/api/orders',
    query: { client_ref: orderReference },
    schema: OrderListSchema,
    signal: options?.signal,
    isEmpty: (list) => !list.data.some((candidate) => candidate.client_ref === orderReference),
  });
  // Filtered again: were Hostycare ever to ignore `client_ref`, we would otherwise take another order's server.
  const order = pickOrder(data.filter((candidate) => candidate.client_ref === orderReference));
  return order ? toPurchase(order) : null;
}

async function buy(call: JsonCaller, request: PurchaseRequest, options?: CallOptions): Promise<Purchase> {
  const { order } = await call({
    operation: 'buy',
    method: 'POST',
    path: '/api/orders',
    body: {
      product: request.plan,
      operating_system: request.os,
      client_ref: request.orderReference,
      idempotency_key: request.idempotencyKey,
    },
    schema: OrderEnvelopeSchema,
    signal: options?.signal,
  });
  return toPurchase(order);
}

async function getPurchase(call: JsonCaller, reference: string, options?: CallOptions): Promise<Purchase> {
  const { order } = await call({
    operation: 'status',
    method: 'GET',
    path: `/api/orders/${encodeURIComponent(reference)}`,
    schema: OrderEnvelopeSchema,
    signal: options?.signal,
  });
  return toPurchase(order);
}

/**
 * After a double buy there are several orders for one reference: prefer one that is not cancelled, then
 * the oldest, so repeated lookups keep answering with the same order.
 */
function pickOrder(orders: Order[]): Order | undefined {
  return [...orders].sort(
    (a, b) => Number(a.state === 'cancelled') - Number(b.state === 'cancelled') || a.created - b.created || a.order_id - b.order_id,
  )[0];
}

function toPurchase(order: Order): Purchase {
  const status = STATE[order.state];
  const ip = order.server?.primary_ip;
  const username = order.server?.username;
  const password = order.server?.password;
  return {
    reference: String(order.order_id),
    status,
    ...(ip ? { ipAddress: ip } : {}),
    ...(username && password ? { credentials: { username, password } } : {}),
    ...(status === 'failed' ? { error: order.failure_reason || 'Hostycare cancelled the order' } : {}),
  };
}
