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

// The Hostycare API exactly as src/providers/hostycare.ts documents it.

const OrderBodySchema = z.object({
  product: z.string().min(1),
  operating_system: z.string().min(1),
  client_ref: z.string().min(1),
  idempotency_key: z.string().min(1).optional(),
});

const replies: ProviderReplies = {
  unavailable: (res) => sendError(res, 503, 'Service temporarily unavailable, please retry.'),
  // Laravel's throttle middleware, word for word.
  rateLimited: (res) => sendError(res, 429, 'Too Many Attempts.'),
};

/** The simulated Hostycare API, to be mounted at `/hostycare`. */
export function hostycareApi(ctx: ProviderApiContext): Router {
  const router = express.Router();
  router.use(async (req, res, next) => {
    if (req.get('authorization') === `Bearer ${ctx.apiKey}`) return next();
    await ctx.delay(opOf(req));
    sendError(res, 401, 'Unauthenticated.');
  });
  router.use(express.json());
  router.post('/api/orders', (req, res) => placeOrder(ctx, req, res));
  router.get('/api/orders', (req, res) => listOrders(ctx, req, res));
  router.get('/api/orders/:orderId', (req, res) => showOrder(ctx, req, res));
  router.use((req, res) => sendError(res, 404, `The route ${req.path} could not be found.`));
  router.use(providerErrorHandler((res, status, message) => sendError(res, status, message)));
  return router;
}

async function placeOrder(ctx: ProviderApiContext, req: Request, res: Response) {
  if (!arrive(ctx, 'buy', res, replies)) return;
  // Carried out when the latency has passed even if the client has gone: the provider took the order all the same.
  await ctx.delay('buy');
  const parsed = OrderBodySchema.safeParse(req.body);
  if (!parsed.success) {
    const fields = invalidFields(parsed.error);
    const errors = Object.fromEntries(fields.map((field) => [field, [`The ${field} field is required.`]]));
    return sendError(res, 422, 'The given data was invalid.', errors);
  }
  const fault = ctx.state.drawFault('buy');
  if (fault === 'fail') return replies.unavailable(res);
  const { product, operating_system: os, client_ref: orderReference, idempotency_key: idempotencyKey } = parsed.data;
  if (fault === 'permanent') {
    return sendError(res, 422, 'The order could not be placed.', { product: [`Product ${product} is out of stock.`] });
  }
  const result = ctx.state.buy({
    provider: 'hostycare',
    orderReference,
    idempotencyKey,
    plan: product,
    os,
    packageName: undefined,
    username: 'admin',
    failureReason: `Provisioning failed: no capacity left for ${product} in the selected location.`,
  });
  if (result.outcome === 'conflict') return sendError(res, 409, 'This idempotency key was already used for another order.');
  // Processed, then the answer is lost: the provider has the order, we never hear of it.
  if (fault === 'timeout') return ctx.hold(res);
  const created = result.outcome === 'created';
  res.status(created ? 201 : 200).json({ order: renderOrder(ctx.state, result.purchase, created) });
}

async function listOrders(ctx: ProviderApiContext, req: Request, res: Response) {
  if (!(await receive(ctx, 'find', req, res, replies))) return;
  if (answerFault(ctx, res, ctx.state.drawFault('find'), replies)) return;
  const orders = ctx.state.list('hostycare', queryString(req, 'client_ref')).map((p) => renderOrder(ctx.state, p));
  res.json({ data: orders, total: orders.length });
}

async function showOrder(ctx: ProviderApiContext, req: Request, res: Response) {
  const orderId = pathParam(req, 'orderId');
  if (!(await receive(ctx, 'status', req, res, replies))) return;
  if (answerFault(ctx, res, ctx.state.drawFault('status'), replies)) return;
  const purchase = ctx.state.get('hostycare', orderId);
  // A lost order is answered exactly as one that never existed.
  if (!purchase || ctx.state.drawLost(purchase)) return sendError(res, 404, `Order ${orderId} not found.`);
  res.json({ order: renderOrder(ctx.state, purchase) });
}

/** A new order is always reported provisioning, whatever the IP delay. */
function renderOrder(state: SimulatorState, purchase: SimulatedPurchase, justCreated = false) {
  const phase = justCreated ? 'pending' : state.phase(purchase);
  const ready = phase === 'ready';
  return {
    order_id: Number(purchase.id),
    client_ref: purchase.orderReference,
    product: purchase.plan,
    operating_system: purchase.os,
    state: ready ? 'completed' : phase === 'failed' ? 'cancelled' : 'provisioning',
    server: ready
      ? {
          hostname: `vps${purchase.id}.hostycare.test`,
          primary_ip: purchase.ipAddress,
          username: purchase.credentials.username,
          password: purchase.credentials.password,
        }
      : null,
    failure_reason: phase === 'failed' ? (purchase.failure ?? null) : null,
    created: Math.floor(purchase.createdAt / 1000),
  };
}

function sendError(res: Response, status: number, message: string, errors?: Record<string, string[]>): void {
  res.status(status).json(errors ? { message, errors } : { message });
}
