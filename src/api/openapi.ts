import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  ErrorSchema,
  HealthSchema,
  InProgressErrorSchema,
  ListOrdersQuerySchema,
  OrderIdParamsSchema,
  OrderListSchema,
  OrderViewSchema,
  PaymentSucceededEventSchema,
  ProvisionAlreadyActiveSchema,
  ProvisionQueuedSchema,
  ReadinessSchema,
  WebhookAnswerSchema,
} from './schemas';

const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });

const adminErrors = {
  400: json(ErrorSchema, 'Invalid id or query string (`invalid_request`, with zod `details`)'),
  401: json(ErrorSchema, 'No credentials (`unauthorized`)'),
  403: json(ErrorSchema, 'Wrong credentials (`forbidden`)'),
  503: json(ErrorSchema, '`database_unavailable` or `queue_unavailable`'),
};

function buildDocument() {
  const registry = new OpenAPIRegistry();
  const adminAuth = registry.registerComponent('securitySchemes', 'adminToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'ADMIN_TOKEN',
  });
  const security = [{ [adminAuth.name]: [] }];

  registry.registerPath({
    method: 'post',
    path: '/api/orders/{orderId}/provision',
    summary: 'Provision or retry an order now (admin button)',
    security,
    request: { params: OrderIdParamsSchema },
    responses: {
      202: json(ProvisionQueuedSchema, 'A provision job was enqueued'),
      200: json(ProvisionAlreadyActiveSchema, 'The order is already active with an IP; nothing enqueued'),
      ...adminErrors,
      404: json(ErrorSchema, 'No such order (`not_found`)'),
      409: json(z.union([InProgressErrorSchema, ErrorSchema]), '`in_progress` (a live job holds the order) or `not_provisionable` (not paid)'),
      413: json(ErrorSchema, 'Body over 100 kB (`payload_too_large`)'),
      415: json(ErrorSchema, 'A body that is not JSON (`unsupported_media_type`); the route takes none'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/orders',
    summary: 'List orders, newest first',
    security,
    request: { query: ListOrdersQuerySchema },
    responses: { 200: json(OrderListSchema, 'A page of orders; pass `nextCursor` as `cursor` for the next'), ...adminErrors },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/orders/{orderId}',
    summary: 'One order with its provisioning state, button and live job',
    security,
    request: { params: OrderIdParamsSchema },
    responses: { 200: json(OrderViewSchema, 'The order view'), ...adminErrors, 404: json(ErrorSchema, 'No such order (`not_found`)') },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/webhooks/payments',
    summary: 'Payment webhook (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature over the raw body)',
    request: {
      headers: z.object({ 'webhook-id': z.string(), 'webhook-timestamp': z.string(), 'webhook-signature': z.string() }),
      body: { content: { 'application/json': { schema: PaymentSucceededEventSchema } } },
    },
    responses: {
      200: json(WebhookAnswerSchema, 'Received; `duplicate: true` for a replayed webhook-id'),
      400: json(ErrorSchema, 'Invalid JSON or event'),
      401: json(ErrorSchema, 'Missing or bad signature, or a timestamp outside 5 minutes (`invalid_signature`)'),
      413: json(ErrorSchema, 'Body over 100 kB'),
      503: json(ErrorSchema, 'MongoDB unavailable: nothing recorded, deliver again'),
    },
  });
  registry.registerPath({ method: 'get', path: '/healthz', summary: 'Liveness', responses: { 200: json(HealthSchema, 'The process runs') } });
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: MongoDB and Redis answer',
    responses: { 200: json(ReadinessSchema, 'Ready'), 503: json(ReadinessSchema, 'A dependency is down') },
  });
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } } },
  });
  registry.registerPath({
    method: 'get',
    path: '/admin/queues',
    summary: 'bull-board (HTML). Bearer, or HTTP Basic with any user and ADMIN_TOKEN as password',
    responses: { 200: { description: 'The bull-board UI' }, 401: json(ErrorSchema, 'No credentials'), 403: json(ErrorSchema, 'Wrong credentials') },
  });

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'vps-provisioner',
      version: '1.0.0',
      description: 'Queue-backed VPS provisioning: admin provision/retry, order views, payment webhooks. Errors are `{ error, message, details? }`.',
    },
  });
}

let cached: ReturnType<typeof buildDocument> | undefined;

/** The OpenAPI 3.1 document, generated once from the same zod schemas the routes validate with. */
export function openApiDocument(): ReturnType<typeof buildDocument> {
  cached ??= buildDocument();
  return cached;
}
