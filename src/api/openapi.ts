import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { PROVIDER_NAMES } from '../domain/statuses';
import { ADMIN_SESSION_COOKIE, ADMIN_SESSION_TTL_MS, CSRF_HEADER, CSRF_HEADER_VALUE } from './auth';
import { REVEALS_PER_MINUTE } from './reveal-limit';
import {
  AuditPageSchema,
  AuditQuerySchema,
  BULK_MAX_IDS,
  BULK_MAX_MATCHES,
  BulkProvisionAnswerSchema,
  BulkProvisionBodySchema,
  CredentialsSchema,
  ErrorSchema,
  HealthSchema,
  InProgressErrorSchema,
  ListOrdersQuerySchema,
  OrderIdParamsSchema,
  OrderListSchema,
  OrderViewSchema,
  PaymentSucceededEventSchema,
  ProvisionAlreadyActiveSchema,
  ProvisionBodySchema,
  ProvisionQueuedSchema,
  ReadinessSchema,
  SessionSchema,
  WebhookAnswerSchema,
} from './schemas';

/**
 * The OpenAPI 3.1 document of the HTTP contract, generated from the zod schemas the routes validate
 * with (schemas.ts). `npm run openapi` writes it to clients/typescript/openapi.json and regenerates the
 * typed client from it; `npm run check:client` fails when either is out of date, and lints it.
 */

// ---- Security schemes ---------------------------------------------------------------------------

/** Names of the security schemes, as operations' `security` lists them. */
export const SECURITY = {
  adminToken: 'adminToken',
  appToken: 'appToken',
  adminSession: 'adminSession',
  adminSessionCsrf: 'adminSessionCsrf',
  adminBasic: 'adminBasic',
} as const;

const SESSION_HOURS = ADMIN_SESSION_TTL_MS / 3_600_000;

const SECURITY_SCHEMES = {
  [SECURITY.adminToken]: {
    type: 'http',
    scheme: 'bearer',
    description:
      "An admin's token: `Authorization: Bearer <token>`, one of `ADMIN_TOKENS` (`name:token,…`) or `ADMIN_TOKEN` (the admin named `admin`). Admins may use every route; what they do is recorded in the audit log under their name.",
  },
  [SECURITY.appToken]: {
    type: 'http',
    scheme: 'bearer',
    description:
      "The web app's server: `Authorization: Bearer <APP_TOKEN>`. It may read orders, request provisioning of one order and reveal credentials; anything else answers 403. It is recorded in the audit log as `app`. Never send it to a browser.",
  },
  [SECURITY.adminSession]: {
    type: 'apiKey',
    in: 'cookie',
    name: ADMIN_SESSION_COOKIE,
    description: `The admin page's session cookie, set by \`POST /admin/session\` (HttpOnly, SameSite=Strict, ${SESSION_HOURS} hours). Used only when no \`Authorization\` header is sent. A request that changes state must also send \`${CSRF_HEADER}: ${CSRF_HEADER_VALUE}\` (see \`${SECURITY.adminSessionCsrf}\`).`,
  },
  [SECURITY.adminSessionCsrf]: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Requested-With',
    description: `Not a secret: the fixed value \`${CSRF_HEADER_VALUE}\`, which a cross-site form cannot send. Required beside the session cookie on every state-changing request (POST, DELETE).`,
  },
  [SECURITY.adminBasic]: {
    type: 'http',
    scheme: 'basic',
    description: 'bull-board only: HTTP Basic with any user name and an admin token as the password (what browsers prompt for).',
  },
} as const;

const { adminToken, appToken, adminSession, adminSessionCsrf, adminBasic } = SECURITY;
type Security = NonNullable<RouteConfig['security']>;
/** One security requirement: all of these schemes together. */
const all = (...schemes: string[]): Security[number] => Object.fromEntries(schemes.map((scheme) => [scheme, []]));
/** Admins and the web app, reading. */
const ADMIN_OR_APP_READ: Security = [all(adminToken), all(appToken), all(adminSession)];
/** Admins and the web app, changing state (the session needs the CSRF header too). */
const ADMIN_OR_APP_WRITE: Security = [all(adminToken), all(appToken), all(adminSession, adminSessionCsrf)];
const ADMIN_READ: Security = [all(adminToken), all(adminSession)];
const ADMIN_WRITE: Security = [all(adminToken), all(adminSession, adminSessionCsrf)];
/** No credentials: health, metrics, this document, the payment webhook (signed instead), signing in. */
const OPEN: Security = [];

// ---- Responses ----------------------------------------------------------------------------------

const json = (schema: z.ZodType, description: string, headers?: ResponseConfig['headers']): ResponseConfig => ({
  description,
  content: { 'application/json': { schema } },
  ...(headers ? { headers } : {}),
});

const header = (description: string, schema: Record<string, unknown> = { type: 'string' }, required = true) => ({ description, required, schema });

const RETRY_AFTER = { 'Retry-After': header('Seconds to wait before trying again.', { type: 'integer', minimum: 1 }) };
const NO_STORE = { 'Cache-Control': header('Always `no-store`: never cache this answer.', { type: 'string', const: 'no-store' }) };

const errors = {
  invalid: (what: string) => json(ErrorSchema, `${what} (\`invalid_request\`, with zod's issues in \`details\`; \`invalid_json\` for a body that is not JSON).`),
  unauthorized: json(
    ErrorSchema,
    'No credentials, or a session cookie that expired or is no longer valid (`unauthorized`).',
    { 'WWW-Authenticate': header('The scheme to authenticate with (when no credentials were sent).', { type: 'string' }, false) },
  ),
  forbidden: (what: string) => json(ErrorSchema, `${what} (\`forbidden\`).`),
  throttled: json(
    ErrorSchema,
    'Too many failed authentications from this address (10 a minute): every request with credentials is refused until the minute ends (`too_many_requests`).',
    RETRY_AFTER,
  ),
  tooLarge: json(ErrorSchema, 'The body is larger than 100 kB (`payload_too_large`).'),
  mediaType: (what: string) => json(ErrorSchema, `${what} (\`unsupported_media_type\`).`),
  unavailable: (what: string) => json(ErrorSchema, `${what}; nothing was changed, try again shortly.`),
  internal: json(ErrorSchema, 'An unexpected error (`internal`), without details: the service logs it.'),
};

const notFound = (what = 'No such order') => json(ErrorSchema, `${what} (\`not_found\`).`);

// ---- Schemas only the document needs ------------------------------------------------------------

/** The sign-in body, as `POST /admin/session` validates it (admin-ui.ts). */
const SignInBodySchema = z
  .strictObject({ token: z.string().min(1).max(1024).meta({ description: "An admin's token" }) })
  .meta({ id: 'AdminSignIn' });

/**
 * The events the service sends to `EVENTS_URL` (Standard Webhooks-signed). `sequence` grows per order,
 * so a receiver can drop an event older than one it already applied; no event carries credentials.
 */
const eventEnvelope = <T extends string, D extends z.ZodRawShape>(type: T, data: D, description: string) =>
  z.object({
    type: z.literal(type),
    timestamp: z.iso.datetime().meta({ description: 'When the event happened (ISO 8601)' }),
    data: z.object({
      orderId: z.string().meta({ description: 'The order id (ObjectId, 24 hex characters)', example: '665f1c2e9b1e8a0012345678' }),
      provider: z.enum(PROVIDER_NAMES),
      ...data,
      sequence: z
        .number()
        .int()
        .min(1)
        .meta({ description: "Grows with each event of this order: drop an event whose sequence is lower than one already applied for the order" }),
    }),
  }).meta({ description });

export const OrderProvisionedEventSchema = eventEnvelope(
  'order.provisioned',
  { ipAddress: z.string().meta({ description: "The server's IP address", example: '203.0.113.10' }) },
  'The order is active: the provider assigned an IP. Credentials are not in the event: reveal them through the API.',
).meta({ id: 'OrderProvisionedEvent' });

export const OrderFailedEventSchema = eventEnvelope(
  'order.failed',
  { error: z.string().meta({ description: 'Why provisioning failed', example: 'Provider rejected the purchase: plan not available' }) },
  'Provisioning failed for good (after its retries); an admin can Retry it.',
).meta({ id: 'OrderFailedEvent' });

const WEBHOOK_HEADERS = z.object({
  'webhook-id': z.string().meta({ description: 'The message id: the same on every delivery of one message; deduplicate by it' }),
  'webhook-timestamp': z.string().meta({ description: 'Unix seconds when the message was signed' }),
  'webhook-signature': z.string().meta({ description: 'Space-separated `v1,<base64 HMAC-SHA256>` signatures of `<id>.<timestamp>.<body>`' }),
});

// ---- The document -------------------------------------------------------------------------------

const ORDER_TAG = 'orders';

function buildDocument() {
  const registry = new OpenAPIRegistry();
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) registry.registerComponent('securitySchemes', name, scheme);

  // Orders: the web app and admins.
  registry.registerPath({
    method: 'post',
    path: '/api/orders/{orderId}/provision',
    operationId: 'provisionOrder',
    tags: [ORDER_TAG],
    summary: 'Provision or retry one order',
    description:
      "The admin page's Provision/Retry button, and the web app's request to provision an order. Asks through the same decision as a payment: an active order with an IP answers 200 `already_active`; an unpaid one 409 `not_provisionable`; one a live job holds 409 `in_progress`; otherwise a job is enqueued (202). A failed order can always be retried. Send no body (or `{}`); admins may send `{ \"now\": true }` to run a live job that is waiting out a delay at once (202 `promoted`). Every request is recorded in the audit log.",
    security: ADMIN_OR_APP_WRITE,
    request: {
      params: OrderIdParamsSchema,
      body: { required: false, description: 'None, `{}`, or `{ "now": true }` (admins only)', content: { 'application/json': { schema: ProvisionBodySchema } } },
    },
    responses: {
      200: json(ProvisionAlreadyActiveSchema, 'The order is already active with an IP; nothing was enqueued.'),
      202: json(ProvisionQueuedSchema, 'A provision job was enqueued (`queued`), or a delayed live job was run now (`promoted`).'),
      400: errors.invalid('An invalid order id or body'),
      401: errors.unauthorized,
      403: errors.forbidden('Wrong credentials, `now` from the app token, or the session cookie without the CSRF header'),
      404: notFound(),
      409: json(
        z.union([InProgressErrorSchema, ErrorSchema]),
        '`in_progress`: a live job holds the order (with its `jobId` and `state`); or `not_provisionable`: the order is not paid (pending or cancelled).',
      ),
      413: errors.tooLarge,
      415: errors.mediaType('A body that is not JSON'),
      429: errors.throttled,
      500: errors.internal,
      503: errors.unavailable('`queue_unavailable` (Redis) or `database_unavailable` (MongoDB)'),
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/api/orders/provision',
    operationId: 'provisionOrders',
    tags: [ORDER_TAG],
    summary: 'Retry many orders (admins)',
    description: `Bulk Retry: up to ${BULK_MAX_IDS} orders by id, or every order matching a filter (at most ${BULK_MAX_MATCHES}). Each order goes through the same decision as one Retry. \`dryRun: true\` only counts what would happen. Recorded in the audit log.`,
    security: ADMIN_WRITE,
    request: { body: { required: true, content: { 'application/json': { schema: BulkProvisionBodySchema } } } },
    responses: {
      200: json(BulkProvisionAnswerSchema, 'What happened to each order (or, with `dryRun`, what would).'),
      400: errors.invalid(`An invalid body, or a filter matching more than ${BULK_MAX_MATCHES} orders (\`details.matched\` says how many)`),
      401: errors.unauthorized,
      403: errors.forbidden('Wrong credentials, the app token, or the session cookie without the CSRF header'),
      413: errors.tooLarge,
      415: errors.mediaType('A body that is not JSON'),
      429: errors.throttled,
      500: errors.internal,
      503: errors.unavailable('`database_unavailable` (MongoDB)'),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/orders',
    operationId: 'listOrders',
    tags: [ORDER_TAG],
    summary: 'List orders, newest first',
    description: 'A page of order views, filtered. Pass `nextCursor` back as `cursor` for the next page; it is null on the last.',
    security: ADMIN_OR_APP_READ,
    request: { query: ListOrdersQuerySchema },
    responses: {
      200: json(OrderListSchema, 'A page of orders.'),
      400: errors.invalid('An invalid query string'),
      401: errors.unauthorized,
      403: errors.forbidden('Wrong credentials'),
      429: errors.throttled,
      500: errors.internal,
      503: errors.unavailable('`database_unavailable` (MongoDB) or `queue_unavailable` (Redis: job states cannot be read)'),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/orders/{orderId}',
    operationId: 'getOrder',
    tags: [ORDER_TAG],
    summary: 'One order',
    description: 'The order view: provisioning state, attempt history, the admin button, the live job and the audit entries (never credentials: `hasCredentials` says whether any are stored).',
    security: ADMIN_OR_APP_READ,
    request: { params: OrderIdParamsSchema },
    responses: {
      200: json(OrderViewSchema, 'The order view, with `audit`.'),
      400: errors.invalid('An invalid order id'),
      401: errors.unauthorized,
      403: errors.forbidden('Wrong credentials'),
      404: notFound(),
      429: errors.throttled,
      500: errors.internal,
      503: errors.unavailable('`database_unavailable` (MongoDB) or `queue_unavailable` (Redis)'),
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/api/orders/{orderId}/credentials/reveal',
    operationId: 'revealCredentials',
    tags: ['credentials'],
    summary: "Reveal an active order's server credentials",
    description: `The only way to read a server's username and password. Call it from the web app's server, for the signed-in customer's own order, and show the answer once: never cache or store it. At most ${REVEALS_PER_MINUTE} reveals a minute per caller (the app token counts as one caller); each reveal is recorded in the audit log before anything is shown. Takes no body.`,
    security: ADMIN_OR_APP_WRITE,
    request: { params: OrderIdParamsSchema },
    responses: {
      200: json(CredentialsSchema, 'The credentials.', NO_STORE),
      400: errors.invalid('An invalid order id, or a body'),
      401: errors.unauthorized,
      403: errors.forbidden('Wrong credentials, or the session cookie without the CSRF header'),
      404: notFound('No such order, or it has no credentials (yet): it is not active'),
      413: errors.tooLarge,
      415: errors.mediaType('A body that is not JSON'),
      429: json(
        ErrorSchema,
        `More than ${REVEALS_PER_MINUTE} reveals by this caller this minute, or too many failed authentications from this address (\`too_many_requests\`).`,
        RETRY_AFTER,
      ),
      500: errors.internal,
      503: errors.unavailable('`queue_unavailable` (Redis: reveals cannot be counted) or `database_unavailable` (MongoDB, or the reveal could not be recorded)'),
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/api/audit',
    operationId: 'listAuditEvents',
    tags: ['audit'],
    summary: 'The audit log, newest first (admins)',
    description: 'Who did what: provision requests, bulk retries, reveals, payments, recoveries, sign-ins. Pass `nextCursor` back as `cursor` for the next page.',
    security: ADMIN_READ,
    request: { query: AuditQuerySchema },
    responses: {
      200: json(AuditPageSchema, 'A page of audit events.'),
      400: errors.invalid('An invalid query string'),
      401: errors.unauthorized,
      403: errors.forbidden('Wrong credentials, or the app token'),
      429: errors.throttled,
      500: errors.internal,
      503: errors.unavailable('`database_unavailable` (MongoDB)'),
    },
  });

  // Payments in, events out.
  registry.registerPath({
    method: 'post',
    path: '/api/webhooks/payments',
    operationId: 'receivePaymentWebhook',
    tags: ['webhooks'],
    summary: 'Payment webhook',
    description:
      'Standard Webhooks: signed with `WEBHOOK_SECRET` (`whsec_…`) over the raw body, timestamp within 5 minutes. `payment.succeeded` marks a pending order paid and asks for its first attempt; any other event type is acknowledged and ignored. The `webhook-id` is the idempotency key: a replay changes nothing and answers `duplicate: true`. An unknown or cancelled order answers 200 with `ignored`; if that order later exists and is pending, a replay of the same `webhook-id` applies the payment once.',
    security: OPEN,
    request: {
      headers: WEBHOOK_HEADERS,
      body: { required: true, content: { 'application/json': { schema: PaymentSucceededEventSchema } } },
    },
    responses: {
      200: json(WebhookAnswerSchema, 'Received; `duplicate: true` for a replayed `webhook-id`.'),
      400: errors.invalid('A body that is not JSON, or an invalid event'),
      401: json(ErrorSchema, 'Missing or bad signature, or a timestamp outside 5 minutes (`invalid_signature`).'),
      413: errors.tooLarge,
      500: errors.internal,
      503: errors.unavailable('`database_unavailable`: nothing was recorded; deliver it again'),
    },
  });

  const eventDelivery = (name: string, operationId: string, schema: z.ZodType, summary: string) =>
    registry.registerWebhook({
      method: 'post',
      path: name,
      operationId,
      tags: ['events'],
      summary,
      description:
        'Sent to `EVENTS_URL` when it and `EVENTS_SECRET` (`whsec_…`) are set, signed the Standard Webhooks way. Verify the signature over the raw body, deduplicate by `webhook-id` (`evt_<orderId>_<sequence>`, the same on every redelivery), and drop an event whose `data.sequence` is lower than one already applied for that order. Delivery is at least once: anything but a 2xx answer is retried with exponential backoff for at least 24 hours. No event carries credentials.',
      security: OPEN,
      request: { headers: WEBHOOK_HEADERS, body: { required: true, content: { 'application/json': { schema } } } },
      responses: {
        '2XX': { description: 'Delivered: the event is not sent again.' },
        '4XX': { description: 'Not delivered: sent again later (the receiver should answer 2xx to a duplicate it already applied).' },
        '5XX': { description: 'Not delivered: sent again later.' },
      },
    });
  eventDelivery('order.provisioned', 'orderProvisioned', OrderProvisionedEventSchema, 'An order became active');
  eventDelivery('order.failed', 'orderFailed', OrderFailedEventSchema, 'An order failed');

  // The admin page and its session.
  registry.registerPath({
    method: 'post',
    path: '/admin/session',
    operationId: 'createAdminSession',
    tags: ['admin'],
    summary: 'Sign in to the admin page',
    description: `Trades an admin token, sent once as JSON, for the \`${ADMIN_SESSION_COOKIE}\` cookie (HttpOnly, SameSite=Strict, Path=/, Secure over HTTPS), valid ${SESSION_HOURS} hours. Failed sign-ins count towards the per-address limit.`,
    security: OPEN,
    request: { body: { required: true, content: { 'application/json': { schema: SignInBodySchema } } } },
    responses: {
      200: json(SessionSchema, 'Signed in.', {
        'Set-Cookie': header(`\`${ADMIN_SESSION_COOKIE}=v2.<name>.<expiry>.<HMAC>; Path=/; HttpOnly; SameSite=Strict\``),
        ...NO_STORE,
      }),
      400: errors.invalid('An invalid body'),
      403: errors.forbidden('Not an admin token (the app token cannot sign in)'),
      413: json(ErrorSchema, 'The body is larger than 2 kB (`payload_too_large`).'),
      415: errors.mediaType('A body that is not `application/json`'),
      429: errors.throttled,
      500: errors.internal,
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/admin/session',
    operationId: 'getAdminSession',
    tags: ['admin'],
    summary: 'Who is signed in',
    security: [all(adminSession)],
    responses: {
      200: json(SessionSchema, 'The signed-in admin.', NO_STORE),
      401: json(ErrorSchema, 'Not signed in, or the session expired (`unauthorized`).'),
      500: errors.internal,
    },
  });

  registry.registerPath({
    method: 'delete',
    path: '/admin/session',
    operationId: 'deleteAdminSession',
    tags: ['admin'],
    summary: 'Sign out',
    description: `Clears the cookie in this browser. Needs \`${CSRF_HEADER}: ${CSRF_HEADER_VALUE}\`. Sessions are stateless: ending all of an admin's sessions means rotating that admin's token.`,
    security: [all(adminSessionCsrf)],
    responses: {
      204: { description: 'Signed out (the cookie is cleared).', headers: { 'Set-Cookie': header(`Clears \`${ADMIN_SESSION_COOKIE}\`.`) } },
      403: errors.forbidden(`The request lacks \`${CSRF_HEADER}: ${CSRF_HEADER_VALUE}\``),
      500: errors.internal,
    },
  });

  registry.registerPath({
    method: 'get',
    path: '/admin',
    operationId: 'getAdminPage',
    tags: ['admin'],
    summary: 'The admin orders page (HTML)',
    description: 'A static page (with `/admin/app.js` and `/admin/styles.css`) that signs in through `POST /admin/session` and then uses this API with the session cookie.',
    security: OPEN,
    responses: { 200: { description: 'The page.', content: { 'text/html': { schema: z.string() } } } },
  });

  registry.registerPath({
    method: 'get',
    path: '/admin/queues',
    operationId: 'getBullBoard',
    tags: ['admin'],
    summary: 'bull-board: the job queues (HTML, admins)',
    description:
      "bull-board's UI; everything under `/admin/queues/` is its own page and API, not part of this contract. Admins only: Bearer, HTTP Basic (any user, an admin token as password), or the admin page's session. Every write under it must come from the same origin (`Sec-Fetch-Site`, else `Origin`); provision jobs cannot be retried, added or edited from it (405 `action_not_allowed`).",
    security: [all(adminToken), all(adminBasic), all(adminSession)],
    responses: {
      200: { description: 'The bull-board page.', content: { 'text/html': { schema: z.string() } } },
      401: errors.unauthorized,
      403: errors.forbidden('Wrong credentials, or the app token'),
      429: errors.throttled,
    },
  });

  // Operations.
  registry.registerPath({
    method: 'get',
    path: '/healthz',
    operationId: 'getHealth',
    tags: ['operations'],
    summary: 'Liveness',
    security: OPEN,
    responses: { 200: json(HealthSchema, 'The process runs.', NO_STORE) },
  });
  registry.registerPath({
    method: 'get',
    path: '/readyz',
    operationId: 'getReadiness',
    tags: ['operations'],
    summary: 'Readiness: MongoDB and Redis answer',
    security: OPEN,
    responses: { 200: json(ReadinessSchema, 'Ready.', NO_STORE), 503: json(ReadinessSchema, 'MongoDB or Redis does not answer (named).', NO_STORE) },
  });
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    tags: ['operations'],
    summary: 'Prometheus metrics',
    description: 'On the API port unless `METRICS_PORT` gives the metrics a port of their own (then this path answers 404 here).',
    security: OPEN,
    responses: {
      200: { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: z.string() } } },
      404: json(ErrorSchema, 'METRICS_PORT is set: the metrics are served on that port, not here (`not_found`).'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/api/openapi.json',
    operationId: 'getOpenApiDocument',
    tags: ['operations'],
    summary: 'This document',
    security: OPEN,
    responses: { 200: { description: 'The OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } },
  });

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'vps-provisioner',
      version: '1.0.0',
      license: { name: 'Proprietary (UNLICENSED): for the reseller and its web app only', identifier: 'LicenseRef-Proprietary' },
      description: [
        'Queue-backed VPS provisioning for the reseller: order views, provision requests and credential reveals for the web app and admins, payment webhooks in, order events out, the admin page and bull-board.',
        '',
        'Every answer of `/api` is JSON; errors are `{ "error": "<code>", "message": "<sentence>", "details"?: … }`, never a stack trace. Unknown routes answer 404 `not_found`. Every answer carries an `X-Request-Id` (a sane one sent by the caller is kept), which the access log records.',
        '',
        'Credentials: the web app sends `Authorization: Bearer <APP_TOKEN>`; admins their own token (or the admin page its session cookie). No credentials: 401; wrong ones: 403; after 10 failures a minute from one address: 429 with `Retry-After`.',
      ].join('\n'),
    },
    servers: [{ url: '/', description: 'This service (the web app configures its address, e.g. PROVISIONER_URL).' }],
    tags: [
      { name: ORDER_TAG, description: 'Orders: read, provision, retry (the web app and admins).' },
      { name: 'credentials', description: 'Server credentials, revealed on request and recorded.' },
      { name: 'audit', description: 'Who did what: the audit log of every state-changing action.' },
      { name: 'webhooks', description: 'Payment webhooks this service receives.' },
      { name: 'events', description: 'Order events this service sends to `EVENTS_URL`.' },
      { name: 'admin', description: 'The admin page, its session and bull-board.' },
      { name: 'operations', description: 'Health, readiness, metrics and this document.' },
    ],
  });
}

let cached: ReturnType<typeof buildDocument> | undefined;

/** The OpenAPI 3.1 document, generated once from the same zod schemas the routes validate with. */
export function openApiDocument(): ReturnType<typeof buildDocument> {
  cached ??= buildDocument();
  return cached;
}
