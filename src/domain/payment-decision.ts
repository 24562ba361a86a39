import { isActiveWithIp, type OrderFacts } from './statuses';

export type PaymentDecision =
  | { kind: 'ignore'; reason: 'unknown_order' | 'order_cancelled' }
  | {
      kind: 'record';
      /** A pending order becomes paid (and auto-provisioned). */
      markPaid: boolean;
      /**
       * What the payment asks of provisioning: `first` (nobody asked yet: mark queued, enqueue), `take_up`
       * (a `queued`/`provisioning` order: enqueue; a live job absorbs it), `none` (active, or `failed`,
       * which waits for the admin's Retry).
       */
      provision: 'first' | 'take_up' | 'none';
    };

/**
 * What a succeeded payment does to an order, beside `decideProvision` (which decides requests). A
 * payment is not a Retry: an order that failed waits for an admin; one never asked for gets its first
 * attempt; one left `queued`/`provisioning` is taken up (its job may have been lost).
 */
export function decidePayment(order: OrderFacts | null): PaymentDecision {
  if (!order) return { kind: 'ignore', reason: 'unknown_order' };
  if (order.status === 'cancelled') return { kind: 'ignore', reason: 'order_cancelled' };
  const markPaid = order.status === 'pending';
  if (isActiveWithIp(order)) return { kind: 'record', markPaid, provision: 'none' };
  switch (order.provisioningStatus ?? null) {
    case null:
      return { kind: 'record', markPaid, provision: 'first' };
    case 'queued':
    case 'provisioning':
      return { kind: 'record', markPaid, provision: 'take_up' };
    default:
      return { kind: 'record', markPaid, provision: 'none' };
  }
}
