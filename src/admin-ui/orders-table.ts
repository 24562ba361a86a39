import { describeJob, syncActionButton, syncRunNowButton, type ProvisionHandler, type RunNowHandler } from './action-button';
import type { OrderView } from './api-client';
import { h, setText, spinner } from './dom';
import { formatDateTime, providerLabel } from './format';

export interface OrdersTableHandlers {
  onProvision: ProvisionHandler;
  onRunNow: RunNowHandler;
  /** Open the order's detail; `opener` gets focus back when it closes. */
  onDetails(orderId: string, opener: HTMLElement): void;
  /** A row's checkbox was ticked or cleared. */
  onSelect(orderId: string, selected: boolean): void;
}

interface RowParts {
  row: HTMLTableRowElement;
  select: HTMLInputElement;
  created: HTMLElement;
  email: HTMLElement;
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
 * the order changed), so buttons and checkboxes keep focus and nothing flickers. On a narrow screen
 * the stylesheet lays each row out as a card; the cells' `data-label` names the values there.
 */
export class OrdersTable {
  private readonly rows = new Map<string, RowParts>();

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly handlers: OrdersTableHandlers,
  ) {}

  render(orders: OrderView[], sending: ReadonlySet<string>, selected: ReadonlySet<string>, now = Date.now()): void {
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
      this.update(parts, order, sending.has(order.id), selected.has(order.id), now);
      const current = this.body.children[index];
      if (current !== parts.row) this.body.insertBefore(parts.row, current ?? null);
    });
  }

  private createRow(orderId: string): RowParts {
    const cell = (className: string, label: string, ...children: Node[]): HTMLTableCellElement => h('td', { className, attrs: { 'data-label': label } }, ...children);
    const select = h('input', { className: 'row-select', attrs: { type: 'checkbox', 'aria-label': `Select order ${orderId}` } });
    const created = h('span', { className: 'sub' });
    const email = h('span', { className: 'sub email' });
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
      // The label makes the whole cell a target for the checkbox (its name comes from aria-label).
      h('td', { className: 'col-select' }, h('label', { className: 'select-hit' }, select)),
      h('th', { className: 'col-order', attrs: { scope: 'row' } }, h('code', { className: 'order-id', text: orderId }), email, created),
      cell('col-plan', 'Provider / plan', provider, plan, packageName),
      cell('col-status', 'Status', status),
      cell('col-provisioning', 'Provisioning', provisioning, error),
      cell('col-ip', 'IP address', ip),
      cell('col-job', 'Job', job),
      cell('col-action', 'Action', action),
      cell('col-details', '', details),
    );
    select.addEventListener('change', () => this.handlers.onSelect(orderId, select.checked));
    details.addEventListener('click', (event) => {
      event.stopPropagation();
      this.handlers.onDetails(orderId, details);
    });
    // A click anywhere else on the row opens the detail too (keyboard users have the Details button).
    row.addEventListener('click', (event) => {
      if (event.target instanceof Element && event.target.closest('a, button, input, label, .col-select')) return;
      this.handlers.onDetails(orderId, details);
    });
    return { row, select, created, email, provider, plan, packageName, status, provisioning, error, ip, job, jobText, action };
  }

  private update(parts: RowParts, order: OrderView, sending: boolean, selected: boolean, now: number): void {
    parts.row.dataset.status = order.status;
    parts.row.dataset.provisioningStatus = order.provisioningStatus ?? '';
    parts.row.classList.toggle('is-selected', selected);
    parts.select.checked = selected;
    setText(parts.created, formatDateTime(order.createdAt));
    setText(parts.email, order.customerEmail ?? '');
    parts.email.hidden = !order.customerEmail;
    setText(parts.provider, providerLabel(order.provider));
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
    syncRunNowButton(parts.action, order, sending, this.handlers.onRunNow);
  }
}
