import type { Logger } from 'pino';
import type { Database } from '../src/db/connection';
import type { Order } from '../src/db/order-model';
import { requestProvision, type RequestProvisionDeps } from '../src/provisioning/request-provision';

type DemoOrder = Pick<Order, 'status' | 'provider' | 'plan' | 'os'> & Partial<Order> & { provisionNow?: boolean };

/**
 * A few orders for the dev stack: both providers, two SmartVPS packages (two orders on one, so the
 * package lock shows), a failed order to Retry and a fresh one to Provision by hand.
 */
const DEMO_ORDERS: DemoOrder[] = [
  { status: 'paid', provider: 'smartvps', packageName: '103.101', plan: '4gb', os: 'ubuntu-22.04', autoProvisioned: true, provisionNow: true, customerEmail: 'ada@example.com' },
  { status: 'paid', provider: 'smartvps', packageName: '103.101', plan: '2gb', os: 'debian-12', autoProvisioned: true, provisionNow: true, customerEmail: 'grace@example.com' },
  { status: 'paid', provider: 'smartvps', packageName: '103.102', plan: '8gb', os: 'ubuntu-24.04', autoProvisioned: true, provisionNow: true, customerEmail: 'linus@example.com' },
  { status: 'paid', provider: 'hostycare', plan: 'vps-m', os: 'almalinux-9', autoProvisioned: true, provisionNow: true, customerEmail: 'barbara@example.com' },
  {
    status: 'confirmed',
    provider: 'smartvps',
    packageName: '103.102',
    plan: '4gb',
    os: 'ubuntu-22.04',
    autoProvisioned: true,
    provisioningStatus: 'failed',
    provisioningError: 'SmartVPS buyVps timeout after 3 attempts',
    customerEmail: 'margaret@example.com',
  },
  { status: 'confirmed', provider: 'hostycare', plan: 'vps-s', os: 'debian-12', autoProvisioned: false, customerEmail: 'dennis@example.com' },
];

/**
 * Inserts the demo orders (once per database), as the web app would write them, and enqueues the paid
 * ones. Returns their ids.
 */
export async function insertDemoOrders(db: Database, deps: Omit<RequestProvisionDeps, 'orders'> & { logger: Logger }): Promise<string[]> {
  if ((await db.orders.estimatedDocumentCount()) > 0) {
    deps.logger.info('database already has orders; not inserting demo orders');
    return [];
  }
  const ids: string[] = [];
  for (const { provisionNow, ...fields } of DEMO_ORDERS) {
    const created = await db.orders.create({ ...fields, paidAt: new Date() });
    const orderId = String(created._id);
    ids.push(orderId);
    if (provisionNow) await requestProvision({ ...deps, orders: db.orderState }, orderId, 'payment');
  }
  return ids;
}
