import { z } from 'zod';
import {
  ATTEMPT_OUTCOMES,
  ATTEMPT_REASONS,
  LIVE_JOB_STATES,
  ORDER_STATUSES,
  PROVIDER_NAMES,
  PROVISIONING_STATUSES,
} from '../domain/statuses';
import { objectIdString } from '../queue/provision-queue';

/**
 * The zod schemas of the HTTP contract: requests are validated with them, and the OpenAPI document
 * (openapi.ts) is generated from the same objects, so the two cannot drift apart.
 */

/** An order id; the pattern is restated for OpenAPI, which cannot carry the regex's `i` flag. */
const orderId = objectIdString.meta({ description: 'An order id (ObjectId)', pattern: '^[0-9a-fA-F]{24}$', example: '665f1c2e9b1e8a0012345678' });

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

export const ListOrdersQuerySchema = z.strictObject({
  status: z.enum(ORDER_STATUSES).optional(),
  provisioningStatus: z.enum(PROVISIONING_STATUSES).optional(),
  provider: z.enum(PROVIDER_NAMES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: 'Page size, 1 to 100' }),
  cursor: cursor.optional(),
});
export type ListOrdersQuery = z.infer<typeof ListOrdersQuerySchema>;

/** POST provision takes no body, or `{ "now": true }` to run a delayed live job at once (retry now). */
export const ProvisionBodySchema = z
  .strictObject({ now: z.boolean().optional().meta({ description: 'Run the live job now if it is waiting out a delay (backoff, lock wait, next poll)' }) })
  .optional();

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

export const OrderViewSchema = z
  .object({
    id: z.string(),
    status: z.enum(ORDER_STATUSES),
    provider: z.enum(PROVIDER_NAMES),
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
    job: JobViewSchema.nullable(),
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

export const WebhookAnswerSchema = z
  .object({
    received: z.literal(true),
    duplicate: z.boolean(),
    ignored: z.enum(['unknown_order', 'order_cancelled', 'unsupported_event']).optional(),
  })
  .meta({ id: 'WebhookAnswer' });
export type WebhookAnswer = z.infer<typeof WebhookAnswerSchema>;

export const HealthSchema = z.object({ status: z.literal('ok') });
export const ReadinessSchema = z
  .object({
    status: z.enum(['ready', 'unavailable']),
    mongo: z.enum(['ok', 'down']),
    redis: z.enum(['ok', 'down']),
  })
  .meta({ id: 'Readiness' });
