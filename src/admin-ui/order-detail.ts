import { syncActionButton, syncRunNowButton, type ProvisionHandler, type RunNowHandler } from './action-button';
import type { AuditEventView, OrderView } from './api-client';
import { byId, h, setText } from './dom';
import { formatDateTime, formatDuration, formatRelative, providerLabel } from './format';

/** bull-board's pages (its router: `/queue/:name` and `/queue/:name/:jobId`, `?status=` a job state). */
const BOARD_QUEUE_URL = '/admin/queues/queue/provision';

export function boardJobUrl(jobId: string, state?: string): string {
  return `${BOARD_QUEUE_URL}/${encodeURIComponent(jobId)}${state ? `?status=${encodeURIComponent(state)}` : ''}`;
}

function when(iso: string | null, now: number): string {
  return iso ? `${formatDateTime(iso)} (${formatRelative(iso, now)})` : '—';
}

/** What an audit entry's action means, in the words of the page's buttons. */
const AUDIT_ACTION_LABELS: Record<AuditEventView['action'], string> = {
  provision: 'Provision / Retry',
  provision_bulk: 'Bulk Retry',
  retry_now: 'Run now',
  credentials_reveal: 'Credentials revealed',
  payment: 'Payment',
  recover: 'Recovery (sweeper)',
  mark_stalled: 'Marked stalled',
  sign_in: 'Signed in',
  sign_in_failed: 'Failed sign-in',
};

function auditActionLabel(event: AuditEventView): string {
  const label = AUDIT_ACTION_LABELS[event.action] ?? event.action;
  // One order's share of a bulk Retry points to the bulk action's own entry.
  return event.action === 'provision' && typeof event.details?.bulkId === 'string' ? `${label} (bulk)` : label;
}

/**
 * The order detail dialog: facts, the live job with a bull-board link, the Provision/Retry and Run now
 * buttons, the attempt history and the order's audit entries (who did what, newest first). Opened as a
 * modal `<dialog>` (focus moves in, Escape closes, focus returns to the opener).
 */
export class OrderDetail {
  private orderId: string | null = null;
  private opener: HTMLElement | null = null;
  private attemptsKey = '';
  private readonly title = byId('detail-title', HTMLHeadingElement);
  private readonly facts = byId('detail-facts', HTMLDListElement);
  private readonly jobText = byId('detail-job-text', HTMLParagraphElement);
  private readonly action = byId('detail-action', HTMLSpanElement);
  private readonly boardLink = byId('detail-board-link', HTMLAnchorElement);
  private readonly attempts = byId('detail-attempts', HTMLTableSectionElement);
  private readonly noAttempts = byId('detail-no-attempts', HTMLParagraphElement);
  private readonly audit = byId('detail-audit', HTMLTableSectionElement);
  private readonly noAudit = byId('detail-no-audit', HTMLParagraphElement);
  private auditKey = '';

  constructor(
    private readonly dialog: HTMLDialogElement,
    private readonly onProvision: ProvisionHandler,
    private readonly onRunNow: RunNowHandler,
  ) {
    byId('detail-close', HTMLButtonElement).addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      this.orderId = null;
      this.opener?.focus();
      this.opener = null;
    });
  }

  /** The order shown, while the dialog is open. */
  get openOrderId(): string | null {
    return this.orderId;
  }

  open(orderId: string, opener: HTMLElement | null): void {
    if (this.orderId !== orderId) {
      this.attemptsKey = '';
      this.auditKey = '';
      this.facts.replaceChildren();
      this.attempts.replaceChildren();
      this.audit.replaceChildren();
      this.noAudit.hidden = false;
      setText(this.noAudit, 'Loading…');
      setText(this.jobText, 'Loading…');
    }
    this.orderId = orderId;
    this.opener = opener;
    // The id in a monospace span: it fits beside Close on a phone (the dialog is named "Order <id>").
    this.title.replaceChildren('Order ', h('code', { text: orderId }));
    if (!this.dialog.open) this.dialog.showModal();
  }

  close(): void {
    if (this.dialog.open) this.dialog.close();
  }

  update(order: OrderView, sending: boolean, now = Date.now()): void {
    if (order.id !== this.orderId) return;
    this.renderFacts(order, now);
    const job = order.job;
    if (job) {
      const next = job.nextAttemptAt ?? order.nextAttemptAt;
      setText(this.jobText, `Job ${job.id} is ${job.state}; attempts made: ${job.attemptsMade}.${next ? ` Next attempt: ${when(next, now)}.` : ''}`);
    } else {
      setText(this.jobText, order.nextAttemptAt ? `No live job. Next attempt was planned for ${when(order.nextAttemptAt, now)}.` : 'No live job.');
    }
    const lastJobId = order.attempts[order.attempts.length - 1]?.jobId;
    if (job) {
      this.boardLink.href = boardJobUrl(job.id, job.state);
      setText(this.boardLink, 'Open the job in bull-board');
    } else if (lastJobId) {
      this.boardLink.href = boardJobUrl(lastJobId);
      setText(this.boardLink, 'Open the last job in bull-board');
    } else {
      this.boardLink.href = BOARD_QUEUE_URL;
      setText(this.boardLink, 'Open the provision queue in bull-board');
    }
    syncActionButton(this.action, order, sending, this.onProvision);
    syncRunNowButton(this.action, order, sending, this.onRunNow);
    this.renderAttempts(order);
    // The list's views carry no audit entries: only the order's own view (GET /api/orders/:id) does.
    if (order.audit) this.renderAudit(order.audit);
  }

  private renderFacts(order: OrderView, now: number): void {
    const facts: [string, string][] = [
      ['Status', order.status],
      ['Provisioning', order.provisioningStatus ?? '—'],
      ['Customer email', order.customerEmail ?? '—'],
      ['Provider', providerLabel(order.provider)],
      ['Plan', order.plan ?? '—'],
      ['OS', order.os ?? '—'],
      ['Package', order.packageName ?? '—'],
      ['Auto-provisioned', order.autoProvisioned ? 'yes' : 'no'],
      ['IP address', order.ipAddress ?? '—'],
      ['Provider reference', order.providerReference ?? '—'],
      ['Credentials stored', order.hasCredentials ? 'yes (encrypted)' : 'no'],
      ['Last error', order.provisioningError ?? '—'],
      ['Last attempt', when(order.lastProvisionAttempt, now)],
      ['Next attempt', when(order.job?.nextAttemptAt ?? order.nextAttemptAt, now)],
      ['Created', formatDateTime(order.createdAt)],
      ['Updated', formatDateTime(order.updatedAt)],
    ];
    this.facts.replaceChildren(...facts.map(([term, value]) => h('div', { className: 'fact' }, h('dt', { text: term }), h('dd', { text: value }))));
  }

  private renderAttempts(order: OrderView): void {
    // Rebuilt only when the history changed, so a focused link in it stays focused while polling.
    const key = JSON.stringify(order.attempts);
    if (key === this.attemptsKey) return;
    this.attemptsKey = key;
    const rows = [...order.attempts].reverse().map((attempt) =>
      h(
        'tr',
        { attrs: { 'data-outcome': attempt.outcome } },
        h('td', { attrs: { 'data-label': 'Time' }, text: formatDateTime(attempt.at) }),
        h('td', { attrs: { 'data-label': 'Reason' }, text: attempt.reason }),
        h('td', { attrs: { 'data-label': 'Attempt' }, text: String(attempt.attempt) }),
        h('td', { attrs: { 'data-label': 'Outcome' } }, h('span', { className: `badge badge-outcome-${attempt.outcome}`, text: attempt.outcome })),
        h('td', { attrs: { 'data-label': 'Error' }, className: 'error-text', text: attempt.error ?? '—' }),
        h('td', { attrs: { 'data-label': 'Duration' }, text: formatDuration(attempt.durationMs) }),
        h('td', { attrs: { 'data-label': 'Job' } }, h('a', { className: 'mono', text: attempt.jobId, attrs: { href: boardJobUrl(attempt.jobId), target: '_blank', rel: 'noopener' } })),
      ),
    );
    this.attempts.replaceChildren(...rows);
    this.noAttempts.hidden = rows.length > 0;
  }

  private renderAudit(events: AuditEventView[]): void {
    const key = JSON.stringify(events);
    if (key === this.auditKey) return;
    this.auditKey = key;
    const rows = events.map((event) => {
      const jobId = typeof event.details?.jobId === 'string' ? event.details.jobId : null;
      return h(
        'tr',
        { attrs: { 'data-action': event.action, 'data-actor': event.actor } },
        h('td', { attrs: { 'data-label': 'When' }, text: formatDateTime(event.at) }),
        h('td', { attrs: { 'data-label': 'Who' }, className: 'actor', text: event.actor }),
        h('td', { attrs: { 'data-label': 'What' }, text: auditActionLabel(event) }),
        h('td', { attrs: { 'data-label': 'Outcome' }, text: event.outcome }),
        h(
          'td',
          { attrs: { 'data-label': 'Job' } },
          jobId ? h('a', { className: 'mono', text: jobId, attrs: { href: boardJobUrl(jobId), target: '_blank', rel: 'noopener' } }) : '—',
        ),
      );
    });
    this.audit.replaceChildren(...rows);
    setText(this.noAudit, 'No audit entries yet.');
    this.noAudit.hidden = rows.length > 0;
  }
}
