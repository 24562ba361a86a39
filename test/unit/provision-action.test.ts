import { provisionActionFor } from '../../src/domain/provision-action';
import type { OrderFacts } from '../../src/domain/statuses';

describe('provisionActionFor: the admin page examples', () => {
  it('fresh confirmed order: Provision, default', () => {
    const order: OrderFacts = { status: 'confirmed', provider: 'hostycare', autoProvisioned: false, provisioningStatus: null, ipAddress: null };
    expect(provisionActionFor(order, false)).toEqual({ visible: true, label: 'Provision', variant: 'default', disabled: false });
  });

  it('failed SmartVPS order: Retry, destructive', () => {
    const order: OrderFacts = { status: 'confirmed', provider: 'smartvps', autoProvisioned: true, provisioningStatus: 'failed', ipAddress: null };
    expect(provisionActionFor(order, false)).toEqual({ visible: true, label: 'Retry', variant: 'destructive', disabled: false });
  });

  it('confirmed SmartVPS order with no IP: visible', () => {
    const order: OrderFacts = { status: 'confirmed', provider: 'smartvps', autoProvisioned: true, provisioningStatus: 'provisioning', ipAddress: null };
    expect(provisionActionFor(order, false)).toMatchObject({ visible: true, label: 'Provision', variant: 'default' });
  });

  it('active order with an IP: hidden', () => {
    const order: OrderFacts = { status: 'active', provider: 'smartvps', autoProvisioned: true, provisioningStatus: 'active', ipAddress: '103.177.114.195' };
    expect(provisionActionFor(order, false).visible).toBe(false);
  });

  it('failed Hostycare order: Retry, destructive (every provider)', () => {
    const order: OrderFacts = { status: 'confirmed', provider: 'hostycare', autoProvisioned: true, provisioningStatus: 'failed', ipAddress: null };
    expect(provisionActionFor(order, false)).toEqual({ visible: true, label: 'Retry', variant: 'destructive', disabled: false });
  });

  it('an auto-provisioned paid Hostycare order in progress has no button', () => {
    const order: OrderFacts = { status: 'paid', provider: 'hostycare', autoProvisioned: true, provisioningStatus: 'queued', ipAddress: null };
    expect(provisionActionFor(order, true).visible).toBe(false);
  });

  it('is disabled with reason in_progress while a job is live', () => {
    const order: OrderFacts = { status: 'confirmed', provider: 'smartvps', autoProvisioned: true, provisioningStatus: 'failed', ipAddress: null };
    expect(provisionActionFor(order, true)).toEqual({ visible: true, label: 'Retry', variant: 'destructive', disabled: true, reason: 'in_progress' });
  });
});
