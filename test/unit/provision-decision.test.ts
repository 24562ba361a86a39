import { decideProvision, type LiveJob } from '../../src/domain/provision-decision';
import type { OrderFacts } from '../../src/domain/statuses';

const now = new Date('2026-11-21T12:00:00Z');
const paid: OrderFacts = { status: 'paid', provider: 'smartvps', provisioningStatus: null, ipAddress: null };
const live: LiveJob = { id: 'job-1', state: 'active', startedAt: new Date(now.getTime() - 7_000) };

describe('decideProvision', () => {
  it('answers not_found for a missing order', () => {
    expect(decideProvision(null, null, now)).toEqual({ kind: 'not_found' });
  });

  it('answers already_active for an active order with an IP, even with a job around', () => {
    const active: OrderFacts = { ...paid, status: 'active', provisioningStatus: 'active', ipAddress: '10.0.0.1' };
    expect(decideProvision(active, null, now)).toEqual({ kind: 'already_active' });
    expect(decideProvision(active, live, now)).toEqual({ kind: 'already_active' });
  });

  it.each(['pending', 'cancelled'] as const)('refuses a %s order', (status) => {
    const decision = decideProvision({ ...paid, status }, null, now);
    expect(decision.kind).toBe('not_provisionable');
  });

  it.each([null, 'queued', 'provisioning', 'failed'] as const)('answers in_progress while a job is live (provisioningStatus %s)', (provisioningStatus) => {
    expect(decideProvision({ ...paid, provisioningStatus }, live, now)).toEqual({
      kind: 'in_progress',
      jobId: 'job-1',
      state: 'active',
      message: 'Order is currently being provisioned by another process (started 7s ago). Please wait.',
    });
  });

  it('enqueues a failed order with no live job', () => {
    expect(decideProvision({ ...paid, provisioningStatus: 'failed' }, null, now)).toEqual({ kind: 'enqueue', stuck: false });
  });

  it.each(['queued', 'provisioning'] as const)('enqueues a stuck %s order at once, flagged as stuck', (provisioningStatus) => {
    expect(decideProvision({ ...paid, provisioningStatus }, null, now)).toEqual({ kind: 'enqueue', stuck: true });
  });

  it.each(['paid', 'confirmed'] as const)('enqueues a first attempt for a %s order', (status) => {
    expect(decideProvision({ ...paid, status }, null, now)).toEqual({ kind: 'enqueue', stuck: false });
  });

  it('treats an order marked active but without an IP as still to provision', () => {
    expect(decideProvision({ ...paid, status: 'active', provisioningStatus: 'failed' }, null, now)).toEqual({ kind: 'enqueue', stuck: false });
  });
});
