import { PROVIDER_LABELS, PROVIDER_NAMES, type ProviderName } from '../providers/types';

export { PROVIDER_LABELS, PROVIDER_NAMES, type ProviderName };

export const ORDER_STATUSES = ['pending', 'paid', 'confirmed', 'active', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Order statuses that mean the customer has paid. */
export const PAID_STATUSES: readonly OrderStatus[] = ['paid', 'confirmed', 'active'];

export const PROVISIONING_STATUSES = ['queued', 'provisioning', 'active', 'failed'] as const;
export type ProvisioningStatus = (typeof PROVISIONING_STATUSES)[number];

/** Why an attempt was made: the payment webhook, an admin's Provision/Retry, the web app's request, or the recovery sweeper. */
export const ATTEMPT_REASONS = ['payment', 'admin', 'app', 'recovery'] as const;
export type AttemptReason = (typeof ATTEMPT_REASONS)[number];

/** `died`: the worker running the attempt stopped (a crash or kill), found when its job was taken up again. */
export const ATTEMPT_OUTCOMES = ['active', 'retrying', 'failed', 'skipped', 'aborted', 'died'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** BullMQ job states in which a job still holds the order's deduplication key. */
export const LIVE_JOB_STATES = ['waiting', 'delayed', 'active', 'prioritized', 'waiting-children'] as const;
export type LiveJobState = (typeof LIVE_JOB_STATES)[number];

export function isLiveJobState(state: string): state is LiveJobState {
  return (LIVE_JOB_STATES as readonly string[]).includes(state);
}

/** The order fields the rules read; both the mongoose document and API fixtures satisfy it. */
export interface OrderFacts {
  status: OrderStatus;
  provider: ProviderName;
  autoProvisioned?: boolean | null;
  provisioningStatus?: ProvisioningStatus | null;
  ipAddress?: string | null;
}

export function isActiveWithIp(order: OrderFacts): boolean {
  return Boolean(order.ipAddress) && (order.status === 'active' || order.provisioningStatus === 'active');
}
