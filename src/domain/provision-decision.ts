import { isActiveWithIp, PAID_STATUSES, type LiveJobState, type OrderFacts } from './statuses';

/** A job that still holds the order (waiting, delayed or active). */
export interface LiveJob {
  id: string;
  state: LiveJobState;
  /** When the job started running, or was created if it has not run yet. */
  startedAt: Date;
}

export type ProvisionDecision =
  | { kind: 'not_found' }
  | { kind: 'already_active' }
  | { kind: 'not_provisionable'; message: string }
  | { kind: 'in_progress'; jobId: string; state: LiveJobState; message: string }
  | { kind: 'enqueue'; stuck: boolean };

/**
 * Whether an order may be (re)provisioned now. The API and the worker both decide with this function
 * (the worker passes no live job: it is the job).
 */
export function decideProvision(order: OrderFacts | null, liveJob: LiveJob | null, now: Date): ProvisionDecision {
  if (!order) return { kind: 'not_found' };
  if (isActiveWithIp(order)) return { kind: 'already_active' };
  if (!PAID_STATUSES.includes(order.status)) {
    return { kind: 'not_provisionable', message: `Order is ${order.status}: only paid orders can be provisioned.` };
  }
  if (liveJob) {
    const seconds = Math.max(0, Math.round((now.getTime() - liveJob.startedAt.getTime()) / 1000));
    return {
      kind: 'in_progress',
      jobId: liveJob.id,
      state: liveJob.state,
      message: `Order is currently being provisioned by another process (started ${seconds}s ago). Please wait.`,
    };
  }
  const stuck = order.provisioningStatus === 'queued' || order.provisioningStatus === 'provisioning';
  return { kind: 'enqueue', stuck };
}
