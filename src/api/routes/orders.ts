import express, { Router, type RequestHandler } from 'express';
import { Types, type QueryFilter } from 'mongoose';
import type { Order } from '../../db/order-model';
import { OrderNotFoundError } from '../../domain/errors';
import { requestProvision } from '../../provisioning/request-provision';
import type { AppDeps } from '../app';
import { parseRequest, UnsupportedMediaTypeError } from '../errors';
import { ORDER_VIEW_SELECT, toOrderView, loadJobView, viewOrders, type OrderRecord } from '../order-view';
import { encodeCursor, ListOrdersQuerySchema, OrderIdParamsSchema, ProvisionBodySchema } from '../schemas';

/** The request carries a body (a non-zero Content-Length, or a chunked one). */
function hasBody(req: express.Request): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length.trim() !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

/** The media types taken as JSON: the check below and the parser must agree, or a body goes unread. */
const JSON_TYPES = ['application/json', '+json'];

/** Routes that accept an (optional) JSON body: anything else is 415, before it is read. */
const jsonOnly: RequestHandler = (req, _res, next) => {
  if (hasBody(req) && !req.is(JSON_TYPES)) {
    next(new UnsupportedMediaTypeError('Send no body, or a JSON body with Content-Type: application/json.'));
    return;
  }
  next();
};

const jsonBody = express.json({ limit: '100kb', strict: true, type: JSON_TYPES });

/** Admin order routes; mount after `requireAdmin` on `/api/orders`. */
export function ordersRouter(deps: AppDeps): Router {
  const { db, queue, redis, logger } = deps;
  const jobDeps = { queue, redis };
  const router = Router();

  router.get('/api/orders', async (req, res) => {
    const query = parseRequest(ListOrdersQuerySchema, req.query, 'query string');
    const filter: QueryFilter<Order> = {};
    if (query.status) filter.status = query.status;
    if (query.provisioningStatus) filter.provisioningStatus = query.provisioningStatus;
    if (query.provider) filter.provider = query.provider;
    if (query.cursor) filter._id = { $lt: new Types.ObjectId(query.cursor) };
    // One more than asked tells whether another page exists.
    const found = await db.orders
      .find(filter)
      .select(ORDER_VIEW_SELECT)
      .sort({ _id: -1 })
      .limit(query.limit + 1)
      .lean<OrderRecord[]>();
    const page = found.slice(0, query.limit);
    const last = page[page.length - 1];
    const nextCursor = found.length > query.limit && last ? encodeCursor(last._id.toString()) : null;
    res.json({ orders: await viewOrders(jobDeps, page), nextCursor });
  });

  router.get('/api/orders/:orderId', async (req, res) => {
    const { orderId } = parseRequest(OrderIdParamsSchema, req.params, 'order id');
    const order = await db.orders.findById(orderId).select(ORDER_VIEW_SELECT).lean<OrderRecord>();
    if (!order) throw new OrderNotFoundError(`Order ${orderId} was not found.`);
    res.json(toOrderView(order, await loadJobView(jobDeps, order)));
  });

  router.post('/api/orders/:orderId/provision', jsonOnly, jsonBody, async (req, res) => {
    const { orderId } = parseRequest(OrderIdParamsSchema, req.params, 'order id');
    const body = parseRequest(ProvisionBodySchema, req.body, 'request body (none, or { "now": true })');
    const result = await requestProvision({ orders: db.orderState, queue, logger, now: deps.now }, orderId, 'admin', { runNow: body?.now === true });
    res.status(result.outcome === 'already_active' ? 200 : 202).json(result);
  });

  return router;
}
