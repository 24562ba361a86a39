import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics';
import type { OrderState, PendingEvent } from '../order-state/order-state';
import { objectIdString } from '../queue/provision-queue';
import { queueConnection } from '../queue/redis';

/**
 * Order events for the web app (`order.provisioned`, `order.failed`): each is written to the order's
 * outbox in the same update as the change it reports (order-state), then delivered through this queue,
 * Standard Webhooks-signed, with exponential retries for EVENTS_RETRY_FOR_MS (a day and more). The job
 * id is the event id, so an event is queued once however often it is dispatched, and its `webhook-id`
 * is the same on every delivery. The sweeper dispatches again any outbox entry whose job Redis lost.
 */
export const ORDER_EVENTS_QUEUE = 'order-events';
const DELIVER_JOB = 'deliver';
export const EVENTS_BACKOFF = 'events';

const EventJobSchema = z.object({ orderId: objectIdString, eventId: z.string().min(1) });
type EventJobData = z.infer<typeof EventJobSchema>;

export type OrderEventsQueue = Queue<EventJobData>;

/** Sends an event recorded in an order's outbox; never throws (the sweeper sends what could not be). */
export interface EventDispatch {
  dispatch(orderId: string, eventId: string): Promise<void>;
}

export const NO_EVENTS: EventDispatch = { dispatch: async () => undefined };

/** The first retry waits this long (or less, when the whole retry period is short), then twice as long each time. */
const FIRST_DELAY_MS = 1_000;
/** No wait between two deliveries is longer: a receiver back after an outage hears within the hour. */
const MAX_DELAY_MS = 3_600_000;

function delays(retryForMs: number): { first: number; max: number } {
  return { first: Math.min(FIRST_DELAY_MS, Math.max(10, Math.floor(retryForMs / 1_000))), max: Math.min(MAX_DELAY_MS, Math.max(10, Math.floor(retryForMs / 4))) };
}

/** The wait before delivery number `attemptsMade + 1`: doubling from the first delay, capped. */
export function eventRetryDelayMs(attemptsMade: number, retryForMs: number): number {
  const { first, max } = delays(retryForMs);
  return Math.min(max, first * 2 ** Math.max(0, attemptsMade - 1));
}

/** How many deliveries it takes for the waits between them to add up to `retryForMs`. */
export function eventDeliveryAttempts(retryForMs: number): number {
  let waited = 0;
  let attempts = 1;
  while (waited < retryForMs) {
    waited += eventRetryDelayMs(attempts, retryForMs);
    attempts += 1;
  }
  return attempts;
}

export function createOrderEventsQueue(options: { connection: ConnectionOptions; prefix: string; retryForMs: number }): OrderEventsQueue {
  return new Queue<EventJobData>(ORDER_EVENTS_QUEUE, {
    ...queueConnection(options.connection),
    prefix: options.prefix,
    defaultJobOptions: {
      attempts: eventDeliveryAttempts(options.retryForMs),
      backoff: { type: EVENTS_BACKOFF },
      removeOnComplete: { age: 24 * 3600, count: 5_000 },
      // Kept long enough that the sweeper, which only looks at events younger than twice the retry
      // period, never sends again one whose deliveries were all refused.
      removeOnFail: { age: Math.ceil((2 * options.retryForMs) / 1000) + 3600, count: 10_000 },
    },
  });
}

export function eventDispatch(queue: OrderEventsQueue, logger: Logger): EventDispatch {
  return {
    async dispatch(orderId, eventId) {
      try {
        await queue.add(DELIVER_JOB, EventJobSchema.parse({ orderId, eventId }), { jobId: eventId });
      } catch (error) {
        logger.warn({ err: error, orderId, eventId }, 'could not queue an order event; the sweeper sends it later');
      }
    },
  };
}

/** The event as the receiver gets it; no credentials, ever. */
export function eventPayload(pending: PendingEvent): Record<string, unknown> {
  const { event } = pending;
  return {
    type: event.type,
    timestamp: new Date(event.at).toISOString(),
    data: {
      orderId: pending.orderId,
      provider: pending.provider,
      ...(event.type === 'order.provisioned' ? { ipAddress: event.ipAddress } : { error: event.error }),
      sequence: event.sequence,
    },
  };
}

export interface EventDeliveryOptions {
  connection: ConnectionOptions;
  prefix: string;
  orders: OrderState;
  url: string;
  secret: string;
  retryForMs: number;
  logger: Logger;
  metrics?: Metrics;
  /** Per-delivery time limit. */
  timeoutMs?: number;
  concurrency?: number;
}

/** The worker that delivers order events: POST, signed; a 2xx answer takes the event out of the outbox. */
export function startEventDelivery(options: EventDeliveryOptions): Worker<EventJobData> {
  const webhook = new Webhook(options.secret);
  const worker = new Worker<EventJobData>(
    ORDER_EVENTS_QUEUE,
    async (job) => {
      const { orderId, eventId } = EventJobSchema.parse(job.data);
      const pending = await options.orders.pendingEvent(orderId, eventId);
      if (!pending) return 'already delivered';
      const body = JSON.stringify(eventPayload(pending));
      const sentAt = new Date();
      let status: number;
      try {
        const response = await fetch(options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'webhook-id': eventId,
            'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
            'webhook-signature': webhook.sign(eventId, sentAt, body),
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
        await response.body?.cancel();
        status = response.status;
      } catch (error) {
        options.metrics?.eventDeliveries.inc({ type: pending.event.type, outcome: 'failed' });
        throw new Error(`EVENTS_URL did not answer: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      if (status < 200 || status > 299) {
        options.metrics?.eventDeliveries.inc({ type: pending.event.type, outcome: 'failed' });
        throw new Error(`EVENTS_URL answered HTTP ${status}`);
      }
      await options.orders.eventDelivered(orderId, eventId);
      options.metrics?.eventDeliveries.inc({ type: pending.event.type, outcome: 'delivered' });
      return 'delivered';
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 20,
      settings: {
        backoffStrategy: (attemptsMade: number, type?: string) => (type === EVENTS_BACKOFF ? eventRetryDelayMs(attemptsMade, options.retryForMs) : 0),
      },
    },
  );
  worker.on('error', (error) => options.logger.warn({ err: error }, 'order event delivery worker error'));
  worker.on('failed', (job, error) => options.logger.info({ eventId: job?.id, attemptsMade: job?.attemptsMade, error: error.message }, 'order event delivery failed; it is retried'));
  return worker;
}

/**
 * For the sweeper: events recorded at least `lostAfterMs` ago (one sweep interval: a dispatch follows
 * its write within milliseconds) and within twice the retry period, whose job Redis no longer has (lost
 * in a restart, or never queued), are dispatched again. Answers how many.
 */
export async function resendLostEvents(deps: {
  orders: OrderState;
  queue: OrderEventsQueue;
  dispatch: EventDispatch;
  retryForMs: number;
  lostAfterMs: number;
  now?: Date;
}): Promise<number> {
  const now = deps.now ?? new Date();
  let resent = 0;
  for await (const pending of deps.orders.pendingEvents(new Date(now.getTime() - 2 * deps.retryForMs), new Date(now.getTime() - deps.lostAfterMs))) {
    if (await deps.queue.getJob(pending.event.id)) continue;
    await deps.dispatch.dispatch(pending.orderId, pending.event.id);
    resent += 1;
  }
  return resent;
}
