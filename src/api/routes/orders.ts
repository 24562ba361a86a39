import express, { Router, type RequestHandler } from 'express';
import { Types, type QueryFilter } from 'mongoose';
import { isDatabaseUnavailable } from '../../db/errors';
import type { Order } from '../../db/order-model';
import { AppError, DatabaseUnavailableError, OrderNotFoundError } from '../../domain/errors';
import { OBJECT_ID_HEX } from '../../domain/ids';
import { bulkProvision } from '../../provisioning/bulk-provision';
import { decryptCredentials } from '../../provisioning/credentials-cipher';
import { requestProvision } from '../../provisioning/request-provision';
import type { RouteDeps } from '../app';
import { actorOf, principalOf, requireAdminPrincipal } from '../auth';
import { InvalidRequestError, parseRequest, TooManyRequestsError, UnsupportedMediaTypeError } from '../errors';
import { ORDER_VIEW_SELECT, toOrderView, loadJobView, viewOrders, toAuditView, type OrderRecord } from '../order-view';
import { takeReveal } from '../reveal-limit';
import {
  BULK_MAX_MATCHES,
  BulkProvisionBodySchema,
  EmptyBodySchema,
  encodeCursor,
  ListOrdersQuerySchema,
  OrderIdParamsSchema,
  ProvisionBodySchema,
  type OrderFilter,
} from '../schemas';

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

/** The order filter as a MongoDB query (the list and a bulk Retry by filter agree on it). */
function orderQuery(filter: OrderFilter): QueryFilter<Order> {
  const query: QueryFilter<Order> = {};
  if (filter.status) query.status = filter.status;
  if (filter.provisioningStatus) query.provisioningStatus = filter.provisioningStatus;
  if (filter.provider) query.provider = filter.provider;
  return query;
}

/** How many of an order's audit entries its view shows (newest first). */
const ORDER_AUDIT_ENTRIES = 50;

/**
 * Order routes; mount after `authenticate` (admins and the app token) on `/api/orders`. Bulk Retry and
 * Retry now are for admins only.
 */
export function ordersRouter(deps: RouteDeps): Router {
  const { db, queue, redis, logger, audit } = deps;
  const jobDeps = { queue, redis };
  const requestDeps = { orders: db.orderState, queue, logger, now: deps.now };
  const router = Router();

  router.get('/api/orders', async (req, res) => {
    const query = parseRequest(ListOrdersQuerySchema, req.query, 'query string');
    const conditions: QueryFilter<Order>[] = [orderQuery(query)];
    if (query.q) {
      // An order id, or the customer's email (the web app stores it lowercased: see docs/integration.md).
      conditions.push(OBJECT_ID_HEX.test(query.q) ? { _id: new Types.ObjectId(query.q) } : { customerEmail: query.q.toLowerCase() });
    }
    if (query.cursor) conditions.push({ _id: { $lt: new Types.ObjectId(query.cursor) } });
    const filter: QueryFilter<Order> = conditions.length === 1 ? (conditions[0] as QueryFilter<Order>) : { $and: conditions };
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
    const [job, events] = await Promise.all([loadJobView(jobDeps, order), audit.list({ orderId, limit: ORDER_AUDIT_ENTRIES })]);
    res.json({ ...toOrderView(order, job), audit: events.slice(0, ORDER_AUDIT_ENTRIES).map(toAuditView) });
  });

  router.post('/api/orders/provision', jsonOnly, jsonBody, async (req, res) => {
    requireAdminPrincipal(res, 'retry orders in bulk');
    const body = parseRequest(BulkProvisionBodySchema, req.body, 'request body ({ orderIds } or { filter }, and dryRun)');
    let orderIds: string[];
    let selection: Record<string, unknown>;
    if ('orderIds' in body) {
      orderIds = [...new Set(body.orderIds.map((id) => id.toLowerCase()))];
      selection = { orderIds: orderIds.length };
    } else {
      const matched = await db.orders.countDocuments(orderQuery(body.filter));
      if (matched > BULK_MAX_MATCHES) {
        throw new InvalidRequestError(`The filter matches ${matched} orders; a bulk Retry takes at most ${BULK_MAX_MATCHES}. Narrow it.`, { matched, limit: BULK_MAX_MATCHES });
      }
      const found = await db.orders.find(orderQuery(body.filter)).select({ _id: 1 }).sort({ _id: 1 }).limit(BULK_MAX_MATCHES).lean<{ _id: Types.ObjectId }[]>();
      orderIds = found.map((order) => order._id.toHexString());
      selection = { filter: body.filter };
    }
    const answer = await bulkProvision({ ...requestDeps, audit }, orderIds, { dryRun: body.dryRun === true, actor: actorOf(principalOf(res)), selection });
    res.json(answer);
  });

  router.post('/api/orders/:orderId/provision', jsonOnly, jsonBody, async (req, res) => {
    const { orderId } = parseRequest(OrderIdParamsSchema, req.params, 'order id');
    const body = parseRequest(ProvisionBodySchema, req.body, 'request body (none, or { "now": true })');
    const runNow = body?.now === true;
    if (runNow) requireAdminPrincipal(res, 'run a job now');
    const actor = actorOf(principalOf(res));
    const action = runNow ? 'retry_now' : 'provision';
    let recorded = false;
    try {
      const result = await requestProvision(requestDeps, orderId, principalOf(res).kind === 'app' ? 'app' : 'admin', {
        runNow,
        // Written before the answer, beside the order's own write: an acknowledged Retry is in the log.
        record: (outcome) => {
          recorded = true;
          return audit.record({ actor, action, orderId, outcome: outcome.outcome, ...('jobId' in outcome ? { details: { jobId: outcome.jobId } } : {}) });
        },
      });
      res.status(result.outcome === 'already_active' ? 200 : 202).json(result);
    } catch (error) {
      // A refusal is recorded too; with MongoDB gone the entry could not be written either, and trying
      // would only hold the 503 back.
      if (!recorded && !isDatabaseUnavailable(error)) await audit.record({ actor, action, orderId, outcome: error instanceof AppError ? error.code : 'error' });
      throw error;
    }
  });

  router.post('/api/orders/:orderId/credentials/reveal', jsonOnly, jsonBody, async (req, res) => {
    const { orderId } = parseRequest(OrderIdParamsSchema, req.params, 'order id');
    parseRequest(EmptyBodySchema, req.body, 'request body (this route takes none)');
    const actor = actorOf(principalOf(res));
    const taken = await takeReveal(redis, deps.config.queuePrefix, actor);
    if (!taken.allowed) throw new TooManyRequestsError('Too many credential reveals by this caller this minute; try again shortly.', taken.retryAfterSeconds);
    const order = await db.orders.findById(orderId).select({ credentialsEncrypted: 1 }).lean<{ credentialsEncrypted?: string | null }>();
    if (!order) throw new OrderNotFoundError(`Order ${orderId} was not found.`);
    if (!order.credentialsEncrypted) throw new OrderNotFoundError(`Order ${orderId} has no server credentials (yet): it is not active.`);
    const credentials = decryptCredentials(order.credentialsEncrypted, deps.config.credentialsKey, orderId);
    // Recorded before anything is shown: a reveal the audit log cannot hold is not made.
    if ((await audit.record({ actor, action: 'credentials_reveal', orderId, outcome: 'revealed' })) === null) {
      throw new DatabaseUnavailableError('The reveal could not be recorded, so the credentials were not shown. Try again shortly.');
    }
    res.set('Cache-Control', 'no-store').json({ username: credentials.username, password: credentials.password });
  });

  return router;
}
