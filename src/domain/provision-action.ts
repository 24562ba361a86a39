import { isActiveWithIp, type OrderFacts } from './statuses';

/** The admin page's Provision/Retry button for an order. */
export interface ProvisionAction {
  visible: boolean;
  label: 'Provision' | 'Retry';
  variant: 'default' | 'destructive';
  disabled: boolean;
  reason?: 'in_progress';
}

/** The admin page's rules for the button, including the failed case for every provider. */
export function provisionActionFor(order: OrderFacts, hasLiveJob: boolean): ProvisionAction {
  const failed = order.provisioningStatus === 'failed';
  const visible =
    !isActiveWithIp(order) &&
    (((order.status === 'paid' || order.status === 'confirmed') && !order.autoProvisioned) ||
      failed ||
      (order.provider === 'smartvps' && order.status === 'confirmed' && !order.ipAddress));
  return {
    visible,
    label: failed ? 'Retry' : 'Provision',
    variant: failed ? 'destructive' : 'default',
    disabled: hasLiveJob,
    ...(hasLiveJob ? { reason: 'in_progress' as const } : {}),
  };
}
