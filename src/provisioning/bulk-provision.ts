import type { AuditInput, AuditLog } from '../audit/audit-log';
import { AppError } from '../domain/errors';
import { decideProvision } from '../domain/provision-decision';
import { findLiveProvisionJob } from '../queue/provision-queue';
import { requestProvision, type RequestProvisionDeps } from './request-provision';

export const BULK_OUTCOMES = ['queued', 'already_active', 'in_progress', 'not_provisionable', 'not_found'] as const;
export type BulkOutcome = (typeof BULK_OUTCOMES)[number];

export type BulkResult = { orderId: string; outcome: BulkOutcome; jobId?: string } | { orderId: string; error: string };

export interface BulkAnswer {
  dryRun: boolean;
  counts: Record<BulkOutcome, number>;
  results: BulkResult[];
}

export interface BulkDeps extends RequestProvisionDeps {
  audit: AuditLog;
}

/** How many orders of a bulk request are decided and enqueued at once. */
const CONCURRENCY = 20;

/**
 * Retries many orders, each through exactly the decision and request path of one Retry (so a bulk
 * request and a click, or two bulk requests, never make two live jobs for an order). A dry run only
 * decides. The action gets one audit entry of its own, and each order one entry pointing to it.
 */
export async function bulkProvision(
  deps: BulkDeps,
  orderIds: readonly string[],
  options: { dryRun: boolean; actor: string; selection: Record<string, unknown> },
): Promise<BulkAnswer> {
  const results: BulkResult[] = new Array(orderIds.length);
  let next = 0;
  const lane = async () => {
    while (next < orderIds.length) {
      const index = next++;
      const orderId = orderIds[index] as string;
      results[index] = options.dryRun ? await decideOnly(deps, orderId) : await requestOne(deps, orderId);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, orderIds.length) }, lane));

  const counts = Object.fromEntries(BULK_OUTCOMES.map((outcome) => [outcome, 0])) as Record<BulkOutcome, number>;
  for (const result of results) if ('outcome' in result) counts[result.outcome] += 1;
  const errors = results.filter((result) => 'error' in result).length;
  if (!options.dryRun) {
    const bulkId = deps.audit.newId();
    await deps.audit.record({ id: bulkId, actor: options.actor, action: 'provision_bulk', outcome: 'done', details: { ...options.selection, orders: orderIds.length, counts, errors } });
    await deps.audit.recordMany(
      results.map(
        (result): AuditInput => ({
          actor: options.actor,
          action: 'provision',
          orderId: result.orderId,
          outcome: 'outcome' in result ? result.outcome : result.error,
          details: { bulkId, ...('jobId' in result && result.jobId ? { jobId: result.jobId } : {}) },
        }),
      ),
    );
  }
  return { dryRun: options.dryRun, counts, results };
}

async function requestOne(deps: BulkDeps, orderId: string): Promise<BulkResult> {
  try {
    const result = await requestProvision(deps, orderId, 'admin');
    return result.outcome === 'already_active' ? { orderId, outcome: 'already_active' } : { orderId, outcome: 'queued', jobId: result.jobId };
  } catch (error) {
    return failure(deps, orderId, error);
  }
}

/** What a Retry would answer now, without doing it. */
async function decideOnly(deps: BulkDeps, orderId: string): Promise<BulkResult> {
  try {
    const now = deps.now?.() ?? new Date();
    const order = await deps.orders.load(orderId);
    const first = decideProvision(order, null, now);
    const decision = first.kind === 'enqueue' ? decideProvision(order, await findLiveProvisionJob(deps.queue, orderId), now) : first;
    return { orderId, outcome: decision.kind === 'enqueue' ? 'queued' : decision.kind };
  } catch (error) {
    return failure(deps, orderId, error);
  }
}

function failure(deps: BulkDeps, orderId: string, error: unknown): BulkResult {
  if (error instanceof AppError && (BULK_OUTCOMES as readonly string[]).includes(error.code)) return { orderId, outcome: error.code as BulkOutcome };
  if (error instanceof AppError) return { orderId, error: error.code };
  deps.logger.error({ err: error, orderId }, 'bulk provision: this order could not be requested');
  return { orderId, error: 'internal' };
}
