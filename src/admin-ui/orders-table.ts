import { describeJob, syncActionButton, type ProvisionHandler } from './action-button';
import type { OrderView } from './api-client';
import { h, setText, spinner } from './dom';
import { formatDateTime } from './format';

export interface OrdersTableHandlers {
  onProvision: ProvisionHandler;
  /** Open the order's detail; `opener` gets focus back when it closes. */
  onDetails(orderId: string, opener: HTMLElement): void;
}

interface RowParts {
  row: HTMLTableRowElement;
  created: HTMLElement;
  provider: HTMLElement;
  plan: HTMLElement;
  packageName: HTMLElement;
  status: HTMLElement;
  provisioning: HTMLElement;
  error: HTMLElement;
  ip: HTMLElement;
  job: HTMLElement;
  jobText: HTMLElement;
  action: HTMLElement;
}

function setBadge(badge: HTMLElement, kind: string, value: string | null): void {
  setText(badge, value ?? '—');
  badge.className = value ? `badge badge-${kind}-${value}` : 'badge badge-none';
}

/**
 * The orders table, keyed by order id: each poll updates rows in place (and moves them only when
 * the order changed), so buttons keep focus and nothing flickers.
 */
export class OrdersTable {
  private readonly rows = new Map<string, RowParts>();

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly handlers: OrdersTableHandlers,
  ) {}

  render(orders: OrderView[], sending: ReadonlySet<string>, now = Date.now()): void {
    const wanted = new Set(orders.map((order) => order.id));
    for (const [id, parts] of this.rows) {
      if (!wanted.has(id)) {
        parts.row.remove();
        this.rows.delete(id);
      }
    }
    orders.forEach((order, index) => {
      let parts = this.rows.get(order.id);
      if (!parts) {
        parts = this.createRow(order.id);
        this.rows.set(order.id, parts);
      }
      this.update(parts, order, sending.has(order.id), now);
      const current = this.body.children[index];
      if (current !== parts.row) this.body.insertBefore(parts.row, current ?? null);
    });
  }

  private createRow(orderId: string): RowParts {
    const cell = (className: string, ...children: Node[]): HTMLTableCellElement => h('td', { className }, ...children);
    const created = h('span', { className: 'sub' });
    const provider = h('span', { className: 'provider' });
    const plan = h('span', { className: 'sub' });
    const packageName = h('span', { className: 'sub' });
    const status = h('span', { className: 'badge' });
    const provisioning = h('span', { className: 'badge' });
    const error = h('span', { className: 'sub error-text' });
    const ip = h('span', { className: 'mono' });
    const jobText = h('span');
    const job = h('span', { className: 'job' }, spinner(), jobText);
    const action = h('span', { className: 'action-slot' });
    const details = h('button', { className: 'btn btn-secondary btn-small details', text: 'Details', attrs: { type: 'button', 'aria-label': `Details of order ${orderId}` } });
    const row = h(
      'tr',
      { className: 'order-row', attrs: { 'data-order-id': orderId } },
      h('th', { className: 'col-order', attrs: { scope: 'row' } }, h('code', { className: 'order-id', text: orderId }), created),
      cell('col-plan', provider, plan, packageName),
      cell('col-status', status),
      cell('col-provisioning', provisioning, error),
      cell('col-ip', ip),
      cell('col-job', job),
      cell('col-action', action),
      cell('col-details', details),
    );
    details.addEventListener('click', (event) => {
      event.stopPropagation();
      this.handlers.onDetails(orderId, details);
    });
    // A click anywhere else on the row opens the detail too (keyboard users have the Details button).
    row.addEventListener('click', (event) => {
      if (event.target instanceof Element && event.target.closest('a, button')) return;
      this.handlers.onDetails(orderId, details);
    });
    return { row, created, provider, plan, packageName, status, provisioning, error, ip, job, jobText, action };
  }

  private update(parts: RowParts, order: OrderView, sending: boolean, now: number): void {
    parts.row.dataset.status = order.status;
    parts.row.dataset.provisioningStatus = order.provisioningStatus ?? '';
    setText(parts.created, formatDateTime(order.createdAt));
    setText(parts.provider, order.provider);
    setText(parts.plan, [order.plan, order.os].filter(Boolean).join(' · ') || '—');
    setText(parts.packageName, order.packageName ? `package ${order.packageName}` : '');
    parts.packageName.hidden = !order.packageName;
    setBadge(parts.status, 'status', order.status);
    setBadge(parts.provisioning, 'prov', order.provisioningStatus);
    setText(parts.error, order.provisioningError ?? '');
    parts.error.title = order.provisioningError ?? '';
    parts.error.hidden = !order.provisioningError;
    setText(parts.ip, order.ipAddress ?? '—');
    const job = describeJob(order, now);
    setText(parts.jobText, job ?? '—');
    parts.job.classList.toggle('is-live', job !== null);
    syncActionButton(parts.action, order, sending, this.handlers.onProvision);
  }
}
