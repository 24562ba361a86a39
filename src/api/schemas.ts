import { z } from 'zod';
import {
  ATTEMPT_OUTCOMES,
  ATTEMPT_REASONS,
  LIVE_JOB_STATES,
  ORDER_STATUSES,
  PROVIDER_NAMES,
  PROVISIONING_STATUSES,
} from '../domain/statuses';
import { AUDIT_ACTIONS } from '../audit/audit-log';
import { objectIdString } from '../queue/provision-queue';

/**
 * The zod schemas of the HTTP contract: requests are validated with them, and the OpenAPI document
 * (openapi.ts) is generated from the same objects, so the two cannot drift apart.
 */

/** An order id; the pattern is restated for OpenAPI, which cannot carry the regex's `i` flag. */
const orderId = objectIdString.toLowerCase().meta({ description: 'An order id (ObjectId)', pattern: '^[0-9a-fA-F]{24}$', example: '665f1c2e9b1e8a0012345678' });

export const OrderIdParamsSchema = z.strictObject({ orderId });

const CURSOR_BYTES = 12;

/** The list cursor is the last order's ObjectId, base64url-encoded: opaque to clients. */
export function encodeCursor(id: string): string {
  return Buffer.from(id, 'hex').toString('base64url');
}

const cursor = z
  .string()
  .meta({ description: 'Opaque cursor from a previous page (`nextCursor`)' })
  .transform((value, ctx) => {
    const bytes = /^[A-Za-z0-9_-]{16}$/.test(value) ? Buffer.from(value, 'base64url') : Buffer.alloc(0);
    if (bytes.length !== CURSOR_BYTES) {
      ctx.addIssue({ code: 'custom', message: 'invalid cursor: pass nextCursor from a previous page unchanged' });
      return z.NEVER;
    }
    return bytes.toString('hex');
  });

/** The filters an order list and a bulk Retry share. */
export const OrderFilterSchema = z.strictObject({
  status: z.enum(ORDER_STATUSES).optional(),
  provisioningStatus: z.enum(PROVISIONING_STATUSES).optional(),
  provider: z.enum(PROVIDER_NAMES).optional(),
});
export type OrderFilter = z.infer<typeof OrderFilterSchema>;

export const ListOrdersQuerySchema = OrderFilterSchema.extend({
  q: z
    .string()
    .trim()
    .min(1)
    .max(254)
    .optional()
    .meta({ description: "Search: an order id, or the customer's email (exact, case-insensitive)" }),
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'Page size, 1 to 100' }),
  cursor: cursor.optional(),
});
export type ListOrdersQuery = z.infer<typeof ListOrdersQuerySchema>;

/** Routes that take no body tolerate an empty JSON object. */
export const EmptyBodySchema = z.strictObject({}).optional();

/** POST provision takes no body, or `{ "now": true }` to run a delayed live job at once (retry now). */
export const ProvisionBodySchema = z
  .strictObject({ now: z.boolean().optional().meta({ description: 'Run the live job now if it is waiting out a delay (backoff, lock wait, next poll)' }) })
  .optional();

/** At most this many orders by id in one bulk request, and by filter. */
export const BULK_MAX_IDS = 500;
export const BULK_MAX_MATCHES = 5_000;

export const BulkProvisionBodySchema = z.union([
  z.strictObject({
    orderIds: z.array(orderId).min(1).max(BULK_MAX_IDS).meta({ description: `Up to ${BULK_MAX_IDS} order ids` }),
    dryRun: z.boolean().optional(),
  }),
  z.strictObject({
    filter: OrderFilterSchema.meta({ description: `Every order matching (at most ${BULK_MAX_MATCHES})` }),
    dryRun: z.boolean().optional(),
  }),
]);
export type BulkProvisionBody = z.infer<typeof BulkProvisionBodySchema>;

export const AuditQuerySchema = z.strictObject({
  orderId: orderId.optional(),
  actor: z.string().min(1).max(64).optional(),
  action: z.enum(AUDIT_ACTIONS).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50).meta({ description: 'Page size, 1 to 100' }),
  cursor: cursor.optional(),
});

export const PaymentSucceededEventSchema = z
  .object({
    type: z.literal('payment.succeeded'),
    timestamp: z.string().optional(),
    data: z.object({
      orderId,
      amount: z.number().optional(),
      currency: z.string().optional(),
    }),
  })
  .meta({ id: 'PaymentSucceededEvent' });

/** Every event has a `type`; only `payment.succeeded` is acted on. */
export const WebhookEnvelopeSchema = z.object({ type: z.string().min(1) });

// ---- Responses (documentation and types of what the routes send) ----

const isoDate = z.iso.datetime();

export const ErrorSchema = z
  .object({
    error: z.string().meta({ description: 'Stable error code', example: 'not_found' }),
    message: z.string(),
    details: z.unknown().optional(),
  })
  .meta({ id: 'Error' });

export const InProgressErrorSchema = ErrorSchema.extend({
  error: z.literal('in_progress'),
  jobId: z.string(),
  state: z.enum(LIVE_JOB_STATES),
}).meta({ id: 'InProgressError' });

export const ProvisionActionSchema = z
  .object({
    visible: z.boolean(),
    label: z.enum(['Provision', 'Retry']),
    variant: z.enum(['default', 'destructive']),
    disabled: z.boolean(),
    reason: z.literal('in_progress').optional(),
  })
  .meta({ id: 'ProvisionAction' });

export const JobViewSchema = z
  .object({
    id: z.string(),
    state: z.enum(LIVE_JOB_STATES),
    attemptsMade: z.number().int(),
    nextAttemptAt: isoDate.nullable(),
  })
  .meta({ id: 'ProvisionJob' });
export type JobView = z.infer<typeof JobViewSchema>;

export const AttemptViewSchema = z
  .object({
    at: isoDate,
    reason: z.enum(ATTEMPT_REASONS),
    jobId: z.string(),
    attempt: z.number().int(),
    outcome: z.enum(ATTEMPT_OUTCOMES),
    error: z.string().nullable(),
    durationMs: z.number(),
  })
  .meta({ id: 'Attempt' });

export const AuditEventSchema = z
  .object({
    at: isoDate,
    actor: z.string().meta({ description: "An admin's name, `app`, `payment`, `sweeper`, or `unknown` (a failed sign-in)" }),
    action: z.enum(AUDIT_ACTIONS),
    orderId: z.string().optional(),
    outcome: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'AuditEvent' });
export type AuditEventView = z.infer<typeof AuditEventSchema>;

export const AuditPageSchema = z.object({ events: z.array(AuditEventSchema), nextCursor: z.string().nullable() }).meta({ id: 'AuditPage' });

export const OrderViewSchema = z
  .object({
    id: z.string(),
    status: z.enum(ORDER_STATUSES),
    provider: z.enum(PROVIDER_NAMES),
    customerEmail: z.string().nullable().meta({ description: "The customer's email, when the web app stores one" }),
    autoProvisioned: z.boolean(),
    provisioningStatus: z.enum(PROVISIONING_STATUSES).nullable(),
    provisioningError: z.string().nullable(),
    lastProvisionAttempt: isoDate.nullable(),
    ipAddress: z.string().nullable(),
    os: z.string().nullable(),
    plan: z.string().nullable(),
    packageName: z.string().nullable(),
    providerReference: z.string().nullable(),
    nextAttemptAt: isoDate.nullable(),
    attempts: z.array(AttemptViewSchema),
    createdAt: isoDate.nullable(),
    updatedAt: isoDate.nullable(),
    hasCredentials: z.boolean().meta({ description: 'Whether server credentials are stored (they are never returned)' }),
    provisionAction: ProvisionActionSchema,
    // A union, not .nullable(): the generator would otherwise mark the shared ProvisionJob schema itself nullable.
    job: z.union([JobViewSchema, z.null()]).meta({ description: 'The live job holding the order (waiting, delayed or active), or null' }),
    audit: z.array(AuditEventSchema).optional().meta({ description: "The order's audit log entries, newest first (one order's view only)" }),
  })
  .meta({ id: 'Order' });
export type OrderView = z.infer<typeof OrderViewSchema>;

export const OrderListSchema = z
  .object({
    orders: z.array(OrderViewSchema),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'OrderList' });

export const ProvisionQueuedSchema = z.object({ outcome: z.enum(['queued', 'promoted']), orderId: z.string(), jobId: z.string() }).meta({ id: 'ProvisionQueued' });
export const ProvisionAlreadyActiveSchema = z
  .object({ outcome: z.literal('already_active'), orderId: z.string() })
  .meta({ id: 'ProvisionAlreadyActive' });

const BULK_OUTCOMES = ['queued', 'already_active', 'in_progress', 'not_provisionable', 'not_found'] as const;

export const BulkProvisionAnswerSchema = z
  .object({
    dryRun: z.boolean(),
    counts: z.object(Object.fromEntries(BULK_OUTCOMES.map((outcome) => [outcome, z.number().int()])) as Record<(typeof BULK_OUTCOMES)[number], z.ZodNumber>),
    results: z.array(
      z.union([
        z.object({ orderId: z.string(), outcome: z.enum(BULK_OUTCOMES), jobId: z.string().optional() }),
        z.object({ orderId: z.string(), error: z.string().meta({ description: 'e.g. queue_unavailable: this order was not requested' }) }),
      ]),
    ),
  })
  .meta({ id: 'BulkProvisionAnswer' });
export type BulkProvisionAnswer = z.infer<typeof BulkProvisionAnswerSchema>;

export const CredentialsSchema = z.object({ username: z.string(), password: z.string() }).meta({ id: 'ServerCredentials' });
export const SessionSchema = z.object({ name: z.string().meta({ description: 'The signed-in admin' }) }).meta({ id: 'AdminSession' });

export const WebhookAnswerSchema = z
  .object({
    received: z.literal(true),
    duplicate: z.boolean(),
    ignored: z.enum(['unknown_order', 'order_cancelled', 'unsupported_event']).optional(),
  })
  .meta({ id: 'WebhookAnswer' });
export type WebhookAnswer = z.infer<typeof WebhookAnswerSchema>;

export const HealthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
export const ReadinessSchema = z
  .object({
    status: z.enum(['ready', 'unavailable']),
    mongo: z.enum(['ok', 'down']),
    redis: z.enum(['ok', 'down']),
  })
  .meta({ id: 'Readiness' });
