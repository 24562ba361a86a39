/**
 * SmartVPS adapter. The API as we use it (JSON, every request carries `X-API-Key: <key>`):
 *
 *   POST /v1/packages/:package/servers     header `Idempotency-Key: <key>`
 *        body { plan, os, reference }       → 201 Server (new) | 200 Server (same key seen before)
 *   GET  /v1/servers?reference=<ref>       → 200 { servers: Server[] }
 *   GET  /v1/servers/:id                   → 200 Server | 404
 *
 *   Server = { id: string, reference: string, package: string, plan: string, os: string,
 *              status: 'building' | 'running' | 'error', ipv4: string | null,
 *              login: { user: string, password: string } | null, error: string | null,
 *              created_at: ISO-8601 string }
 *   Errors = { error: { code: string, message: string } } with 4xx/5xx; 429 may carry Retry-After.
 */
import { z } from 'zod';
import { createJsonCaller, permanentError, type JsonCaller } from './http';
import type { CallOptions, ProviderClient, ProviderClientOptions, Purchase, PurchaseRequest } from './types';

const ServerSchema = z.object({
  id: z.string().min(1),
  reference: z.string(),
  status: z.enum(['building', 'running', 'error']),
  ipv4: z.ipv4().nullish(),
  login: z.object({ user: z.string().min(1), password: z.string().min(1) }).nullish(),
  error: z.string().nullish(),
  created_at: z.string(),
});
type Server = z.infer<typeof ServerSchema>;

const ServerListSchema = z.object({ servers: z.array(ServerSchema) });

const ErrorBodySchema = z.object({ error: z.object({ code: z.string().optional(), message: z.string() }) });

const STATUS: Record<Server['status'], Purchase['status']> = { building: 'pending', running: 'active', error: 'failed' };

/** A SmartVPS client speaking the API described at the top of this file. */
export function createSmartVpsClient(options: ProviderClientOptions): ProviderClient {
  const call = createJsonCaller({
    provider: 'smartvps',
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
    headers: { 'x-api-key': options.apiKey },
    secrets: [options.apiKey],
    onCall: options.onCall,
    describeError: (body) => {
      const parsed = ErrorBodySchema.safeParse(body);
      return parsed.success ? parsed.data.error.message : undefined;
    },
  });
  return {
    name: 'smartvps',
    findPurchase: (orderReference, callOptions) => findPurchase(call, orderReference, callOptions),
    buy: (request, callOptions) => buy(call, request, callOptions),
    getPurchase: (reference, callOptions) => getPurchase(call, reference, callOptions),
  };
}

async function findPurchase(call: JsonCaller, orderReference: string, options?: CallOptions): Promise<Purchase | null> {
  const { servers } = await call({
    operation: 'find',
    method: 'GET',
    path: '/v1/servers',
    query: { reference: orderReference },
    schema: ServerListSchema,
    signal: options?.signal,
    isEmpty: (list) => !list.servers.some((candidate) => candidate.reference === orderReference),
  });
  // Filtered again: were SmartVPS ever to ignore `reference`, we would otherwise take another order's server.
  const server = pickServer(servers.filter((candidate) => candidate.reference === orderReference));
  return server ? toPurchase(server) : null;
}

async function buy(call: JsonCaller, request: PurchaseRequest, options?: CallOptions): Promise<Purchase> {
  const packageName = request.packageName?.trim();
  if (!packageName) throw permanentError('smartvps', 'buy', 'packageName is required (SmartVPS sells servers per package)');
  const server = await call({
    operation: 'buy',
    method: 'POST',
    path: `/v1/packages/${encodeURIComponent(packageName)}/servers`,
    headers: { 'idempotency-key': request.idempotencyKey },
    body: { plan: request.plan, os: request.os, reference: request.orderReference },
    schema: ServerSchema,
    signal: options?.signal,
  });
  return toPurchase(server);
}

async function getPurchase(call: JsonCaller, reference: string, options?: CallOptions): Promise<Purchase> {
  const server = await call({
    operation: 'status',
    method: 'GET',
    path: `/v1/servers/${encodeURIComponent(reference)}`,
    schema: ServerSchema,
    signal: options?.signal,
  });
  return toPurchase(server);
}

/**
 * After a double buy there are several servers for one reference: prefer one that is not failed, then
 * the oldest, so repeated lookups keep answering with the same server.
 */
function pickServer(servers: Server[]): Server | undefined {
  return [...servers].sort(
    (a, b) => Number(a.status === 'error') - Number(b.status === 'error') || a.created_at.localeCompare(b.created_at),
  )[0];
}

function toPurchase(server: Server): Purchase {
  const status = STATUS[server.status];
  return {
    reference: server.id,
    status,
    ...(server.ipv4 ? { ipAddress: server.ipv4 } : {}),
    ...(server.login ? { credentials: { username: server.login.user, password: server.login.password } } : {}),
    ...(status === 'failed' ? { error: server.error || 'SmartVPS reported the server as failed' } : {}),
  };
}
