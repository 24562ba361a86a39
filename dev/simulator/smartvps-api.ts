import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import {
  answerFault,
  invalidFields,
  pathParam,
  providerErrorHandler,
  queryString,
  receive,
  type ProviderApiContext,
} from './provider-api';
import type { SimulatedPurchase, SimulatorState } from './state';

// The SmartVPS API exactly as src/providers/smartvps.ts documents it.

const BuyBodySchema = z.object({
  plan: z.string().min(1),
  os: z.string().min(1),
  reference: z.string().min(1),
});

/** The simulated SmartVPS API, to be mounted at `/smartvps`. */
export function smartVpsApi(ctx: ProviderApiContext): Router {
  const router = express.Router();
  router.use(async (req, res, next) => {
    if (req.get('x-api-key') === ctx.apiKey) return next();
    await ctx.delay();
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
  // In flight from arrival to answer: the latency below is the window a second buy can fall into.
  res.once('close', ctx.state.enterBuy(packageName));
  // A buy goes through even when the client has gone: the provider took the order all the same.
  await receive(ctx, 'buy', req);
  const parsed = BuyBodySchema.safeParse(req.body);
  if (!parsed.success) {
    return sendError(res, 422, 'validation_failed', `invalid or missing: ${invalidFields(parsed.error).join(', ')}`);
  }
  const fault = ctx.state.drawFault('buy');
  if (fault === 'fail') return unavailable(res);
  if (fault === 'permanent') return sendError(res, 422, 'package_unavailable', `package ${packageName} is out of stock`);
  const { plan, os, reference } = parsed.data;
  const idempotencyKey = req.get('idempotency-key');
  const result = ctx.state.buy({ provider: 'smartvps', orderReference: reference, idempotencyKey, plan, os, packageName, username: 'root' });
  if (result.outcome === 'conflict') {
    return sendError(res, 409, 'idempotency_key_reused', 'this Idempotency-Key was used for a different server');
  }
  if (fault === 'timeout') return ctx.hold(res);
  const created = result.outcome === 'created';
  res.status(created ? 201 : 200).json(renderServer(ctx.state, result.purchase, created));
}

async function find(ctx: ProviderApiContext, req: Request, res: Response) {
  if (!(await receive(ctx, 'find', req))) return;
  if (answerFault(ctx, res, ctx.state.drawFault('find'), () => unavailable(res))) return;
  res.json({ servers: ctx.state.list('smartvps', queryString(req, 'reference')).map((p) => renderServer(ctx.state, p)) });
}

async function status(ctx: ProviderApiContext, req: Request, res: Response) {
  const id = pathParam(req, 'id');
  if (!(await receive(ctx, 'status', req))) return;
  if (answerFault(ctx, res, ctx.state.drawFault('status'), () => unavailable(res))) return;
  const purchase = ctx.state.get('smartvps', id);
  if (!purchase) return sendError(res, 404, 'not_found', `server ${id} not found`);
  res.json(renderServer(ctx.state, purchase));
}

/** A new server is always reported building, whatever the IP delay, as a real build would be. */
function renderServer(state: SimulatorState, purchase: SimulatedPurchase, justCreated = false) {
  const ready = !justCreated && state.isReady(purchase);
  return {
    id: purchase.id,
    reference: purchase.orderReference,
    package: purchase.packageName ?? '',
    plan: purchase.plan,
    os: purchase.os,
    status: ready ? 'running' : 'building',
    ipv4: ready ? purchase.ipAddress : null,
    login: ready ? { user: purchase.credentials.username, password: purchase.credentials.password } : null,
    error: null,
    created_at: new Date(purchase.createdAt).toISOString(),
  };
}

function unavailable(res: Response): void {
  sendError(res, 503, 'service_unavailable', 'SmartVPS is temporarily unavailable, try again later');
}

function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}
