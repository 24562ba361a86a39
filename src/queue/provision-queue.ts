import { randomBytes } from 'node:crypto';
import { Queue, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import { z } from 'zod';
import { ATTEMPT_REASONS, isLiveJobState, PROVIDER_NAMES, type AttemptReason } from '../domain/statuses';
import { OBJECT_ID_HEX } from '../domain/ids';
import type { LiveJob } from '../domain/provision-decision';
import type { OrderTarget } from '../order-state/order-state';
import { queueConnection } from './redis';

export const PROVISION_QUEUE = 'provision';
export const PROVISION_JOB = 'provision-order';
/** Name of the backoff strategy the worker registers (`settings.backoffStrategy`). */
export const STAGED_BACKOFF = 'staged';

export const objectIdString = z.string().regex(OBJECT_ID_HEX, 'expected a 24-character hex ObjectId');

/**
 * Job data: ids and reasons only, never secrets. New fields must be optional so jobs already in Redis
 * still parse after a deploy.
 */
export const ProvisionJobDataSchema = z.object({
  orderId: objectIdString,
  reason: z.enum(ATTEMPT_REASONS),
  requestedAt: z.iso.datetime(),
  /** The order's provider and package as the request read them: the first step locks and takes with no read before (see takeUnread). */
  target: z.object({ provider: z.enum(PROVIDER_NAMES), packageName: z.string().nullable() }).optional(),
  /** Set when the job first found its package lock busy (LOCK_MAX_WAIT_MS counts from it). */
  lockWaitSince: z.iso.datetime().optional(),
  /** Set while the provider keeps answering 429 (RATE_LIMIT_MAX_WAIT_MS counts from `since`). */
  rateLimit: z.object({ since: z.iso.datetime(), message: z.string() }).optional(),
  /** How many of this job's stalls (runs that died with their worker) are already counted on the order. */
  stallsSeen: z.number().int().min(0).optional(),
  /** Present between the status calls of an accepted purchase: the next run polls it (see provisionOrder). */
  poll: z
    .object({
      fence: z.number().int(),
      provider: z.enum(PROVIDER_NAMES),
      packageName: z.string().nullable(),
      reference: z.string().min(1),
      attemptStartedAt: z.iso.datetime(),
      /** Optional: jobs parked before it existed count from the attempt's start. */
      acceptedAt: z.iso.datetime().optional(),
      pollsMade: z.number().int().min(0),
      /** The package lock's holder token, kept across the wait (not a secret: it only names the holder). */
      lockId: z.string().nullable(),
    })
    .optional(),
});
export type ProvisionJobData = z.infer<typeof ProvisionJobDataSchema>;

export type ProvisionQueue = Queue<ProvisionJobData, void, typeof PROVISION_JOB>;
export type ProvisionJob = Job<ProvisionJobData, void, typeof PROVISION_JOB>;

export interface ProvisionQueueOptions {
  connection: ConnectionOptions;
  prefix: string;
  attempts: number;
}

export function createProvisionQueue({ connection, prefix, attempts }: ProvisionQueueOptions): ProvisionQueue {
  const defaultJobOptions: JobsOptions = {
    attempts,
    backoff: { type: STAGED_BACKOFF },
    // Keep finished jobs for ops to inspect in bull-board, bounded.
    removeOnComplete: { age: 24 * 3600, count: 5_000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 5_000 },
  };
  return new Queue<ProvisionJobData, void, typeof PROVISION_JOB>(PROVISION_QUEUE, { ...queueConnection(connection), prefix, defaultJobOptions });
}

/**
 * New jobs wait in BullMQ's prioritized set; a job that has started (a parked poll, a woken lock waiter,
 * a job run now) goes back to the plain wait list, which workers serve first. So an accepted purchase's
 * next status call, or a package whose lock just freed, never queues behind a burst of new payments.
 */
const NEW_JOB_PRIORITY = 1;

/** Puts a started job ahead of new ones the next time it waits (see NEW_JOB_PRIORITY). */
export async function moveAhead(job: Job): Promise<void> {
  if (job.priority !== 0) await job.changePriority({ priority: 0 });
}

/** This process's random part of job ids, and a counter: ids unique across processes without a random draw per job. */
const JOB_ID_SALT = randomBytes(4).toString('hex');
let jobCounter = 0;

export interface EnqueueResult {
  /** False when a live job for the order already existed and the request collapsed into it. */
  created: boolean;
  jobId: string;
}

/**
 * Enqueues provisioning for an order. While a job for the order is waiting, delayed or active, the
 * request collapses into it (BullMQ deduplication by order id); after it finished, a new job is made.
 * A caller that read the order names it as `target` (its provider and package are kept), which spares
 * the job's first step a read.
 */
export async function enqueueProvision(
  queue: ProvisionQueue,
  orderId: string,
  reason: AttemptReason,
  { now = new Date(), target }: { now?: Date; target?: OrderTarget | null } = {},
): Promise<EnqueueResult> {
  const data = ProvisionJobDataSchema.parse({ orderId, reason, requestedAt: now.toISOString(), ...(target ? { target: { provider: target.provider, packageName: target.packageName } } : {}) });
  // A fresh job id per request: a reused id still in the completed or failed set would be silently ignored.
  const jobId = `${orderId}-${now.getTime().toString(36)}${JOB_ID_SALT}${(jobCounter++).toString(36)}`;
  const job = await queue.add(PROVISION_JOB, data, { jobId, deduplication: { id: orderId }, priority: NEW_JOB_PRIORITY });
  return { created: job.id === jobId, jobId: job.id ?? jobId };
}

/** A live job with the BullMQ job itself, so callers that show it need not fetch it again. */
export interface LiveProvisionJob extends LiveJob {
  job: ProvisionJob;
}

/** The job that currently holds the order's deduplication key, if it is still live. */
export async function findLiveProvisionJob(queue: ProvisionQueue, orderId: string): Promise<LiveProvisionJob | null> {
  const jobId = await queue.getDeduplicationJobId(orderId);
  if (!jobId) return null;
  const job = await queue.getJob(jobId);
  if (!job) return null;
  const state = await job.getState();
  if (!isLiveJobState(state)) return null;
  // Prioritized is how BullMQ keeps a new job waiting its turn (NEW_JOB_PRIORITY): to anyone else, waiting.
  return { id: jobId, state: state === 'prioritized' ? 'waiting' : state, startedAt: new Date(job.processedOn ?? job.timestamp), job };
}
