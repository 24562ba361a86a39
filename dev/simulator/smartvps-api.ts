import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import {
  answerFault,
  arrive,
  invalidFields,
  opOf,
  pathParam,
  providerErrorHandler,
  queryString,
  receive,
  type ProviderApiContext,
  type ProviderReplies,
} from './provider-api';
import type { SimulatedPurchase, SimulatorState } from './state';

// The SmartVPS API exactly as src/providers/smartvps.ts documents it.

const BuyBodySchema = z.object({
  plan: z.string().min(1),
  os: z.string().min(1),
  reference: z.string().min(1),
});

const replies: ProviderReplies = {
  unavailable: (res) => sendError(res, 503, 'service_unavailable', 'SmartVPS is temporarily unavailable, try again later'),
  rateLimited: (res, seconds) => sendError(res, 429, 'rate_limited', `too many requests, retry in ${seconds} s`),
};

/** The simulated SmartVPS API, to be mounted at `/smartvps`. */
export function smartVpsApi(ctx: ProviderApiContext): Router {
  const router = express.Router();
  router.use(async (req, res, next) => {
    if (req.get('x-api-key') === ctx.apiKey) return next();
    await ctx.delay(opOf(req));
    sendError(res, 401, 'unauthorized', 'missing or invalid X-API-Key');
  });
  router.use(express.json());
  router.post('/v1/packages/:package/servers', (req, res) => buy(ctx, req, res));
  router.get('/v1/servers', (req, res) => find(ctx, req, res));
  router.get('/v1/servers/:id', (req, res) => status(ctx, req, res));
  router.use((req, res) => sendError(res, 404, 'not_found', `no route ${req.method} ${req.path}`));
  router.use(providerErrorHandler((res, code, message) => sendError(res, code, code < 500 ? 'bad_request' : 'internal', message)));
  return router;
}

async function buy(ctx: ProviderApiContext, req: Request, res: Response) {
  const packageName = pathParam(req, 'package');
  if (!arrive(ctx, 'buy', res, replies)) return;
  // Being processed from arrival until the latency has passed, whether the client waits or hangs up:
  // the window in which a second buy on the package is a violation.
  const processed = ctx.state.enterBuy(packageName);
  try {
    await ctx.delay('buy');
    processBuy(ctx, req, res, packageName);
  } finally {
    processed();
  }
}

/** The buy as the provider carries it out; the answer goes nowhere when the client has gone. */
function processBuy(ctx: ProviderApiContext, req: Request, res: Response, packageName: string): void {
  const parsed = BuyBodySchema.safeParse(req.body);
  if (!parsed.success) {
    return sendError(res, 422, 'validation_failed', `invalid or missing: ${invalidFields(parsed.error).join(', ')}`);
  }
  const fault = ctx.state.drawFault('buy');
  if (fault === 'fail') return replies.unavailable(res);
  if (fault === 'permanent') return sendError(res, 422, 'package_unavailable', `package ${packageName} is out of stock`);
  const { plan, os, reference } = parsed.data;
  const idempotencyKey = req.get('idempotency-key');
  const result = ctx.state.buy({
    provider: 'smartvps',
    orderReference: reference,
    idempotencyKey,
    plan,
    os,
    packageName,
    username: 'root',
    failureReason: `provisioning failed on node ${packageName}: no capacity left for plan ${plan}`,
  });
  if (result.outcome === 'conflict') {
    return sendError(res, 409, 'idempotency_key_reused', 'this Idempotency-Key was used for a different server');
  }
  // Processed, then the answer is lost: the provider has the server, we never hear of it.
  if (fault === 'timeout') return ctx.hold(res);
  const created = result.outcome === 'created';
  res.status(created ? 201 : 200).json(renderServer(ctx.state, result.purchase, created));
}

async function find(ctx: ProviderApiContext, req: Request, res: Response) {
  if (!(await receive(ctx, 'find', req, res, replies))) return;
  if (answerFault(ctx, res, ctx.state.drawFault('find'), replies)) return;
  res.json({ servers: ctx.state.list('smartvps', queryString(req, 'reference')).map((p) => renderServer(ctx.state, p)) });
}

async function status(ctx: ProviderApiContext, req: Request, res: Response) {
  const id = pathParam(req, 'id');
  if (!(await receive(ctx, 'status', req, res, replies))) return;
  if (answerFault(ctx, res, ctx.state.drawFault('status'), replies)) return;
  const purchase = ctx.state.get('smartvps', id);
  // A lost purchase is answered exactly as one that never existed.
  if (!purchase || ctx.state.drawLost(purchase)) return sendError(res, 404, 'not_found', `server ${id} not found`);
  res.json(renderServer(ctx.state, purchase));
}

/** A new server is always reported building, whatever the IP delay, as a real build would be. */
function renderServer(state: SimulatorState, purchase: SimulatedPurchase, justCreated = false) {
  const phase = justCreated ? 'pending' : state.phase(purchase);
  const ready = phase === 'ready';
  return {
    id: purchase.id,
    reference: purchase.orderReference,
    package: purchase.packageName ?? '',
    plan: purchase.plan,
    os: purchase.os,
    status: ready ? 'running' : phase === 'failed' ? 'error' : 'building',
    ipv4: ready ? purchase.ipAddress : null,
    login: ready ? { user: purchase.credentials.username, password: purchase.credentials.password } : null,
    error: phase === 'failed' ? (purchase.failure ?? null) : null,
    created_at: new Date(purchase.createdAt).toISOString(),
  };
}

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}
