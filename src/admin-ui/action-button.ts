import type { OrderView } from './api-client';
import { h, setText, spinner } from './dom';
import { formatRelative } from './format';

/** Called with the order id when an admin presses Provision or Retry. */
export type ProvisionHandler = (orderId: string) => void;

/** Called with the order id when an admin presses Run now on a delayed job. */
export type RunNowHandler = (orderId: string) => void;

/**
 * Keeps `slot`'s Provision/Retry button in line with the API's `provisionAction`: none when not
 * visible; red for Retry (variant `destructive`), blue otherwise; disabled with a spinner while a job
 * is live or the click is still being sent. The button element is kept across updates, so keyboard
 * focus stays on it while the page polls.
 */
export function syncActionButton(slot: HTMLElement, order: OrderView, sending: boolean, onProvision: ProvisionHandler): void {
  const action = order.provisionAction;
  let button = slot.querySelector<HTMLButtonElement>('button.action');
  if (!action.visible) {
    button?.remove();
    return;
  }
  if (!button) {
    const created = h(
      'button',
      { className: 'btn action', attrs: { type: 'button' } },
      spinner(),
      h('span', { className: 'label' }),
      h('span', { className: 'visually-hidden busy-text', text: ' (in progress)' }),
    );
    created.addEventListener('click', (event) => {
      event.stopPropagation();
      const orderId = created.dataset.orderId;
      if (orderId && !created.disabled) onProvision(orderId);
    });
    slot.append(created);
    button = created;
  }
  const busy = action.disabled || sending;
  button.dataset.orderId = order.id;
  button.dataset.variant = action.variant;
  button.classList.toggle('btn-destructive', action.variant === 'destructive');
  button.classList.toggle('btn-default', action.variant !== 'destructive');
  button.classList.toggle('is-busy', busy);
  button.disabled = busy;
  button.setAttribute('aria-busy', String(busy));
  const label = button.querySelector<HTMLElement>('.label');
  if (label) setText(label, action.label);
  const busyText = button.querySelector<HTMLElement>('.busy-text');
  if (busyText) busyText.hidden = !busy;
  button.title = busy ? (order.job ? `A provisioning job is ${order.job.state}` : 'Sending…') : `${action.label} order ${order.id}`;
}

/**
 * Keeps `slot`'s Run now button in line with the order's job: shown only while the live job is
 * `delayed` (waiting out a backoff, a lock, a provider's pause or its next status poll), which the API
 * can then run at once.
 */
export function syncRunNowButton(slot: HTMLElement, order: OrderView, sending: boolean, onRunNow: RunNowHandler): void {
  let button = slot.querySelector<HTMLButtonElement>('button.run-now');
  if (order.job?.state !== 'delayed') {
    button?.remove();
    return;
  }
  if (!button) {
    const created = h('button', { className: 'btn btn-secondary btn-small run-now', text: 'Run now', attrs: { type: 'button' } });
    created.addEventListener('click', (event) => {
      event.stopPropagation();
      const orderId = created.dataset.orderId;
      if (orderId && !created.disabled) onRunNow(orderId);
    });
    slot.append(created);
    button = created;
  }
  button.dataset.orderId = order.id;
  button.disabled = sending;
  button.setAttribute('aria-label', `Run now: the delayed job of order ${order.id}`);
  button.title = 'Run the waiting job now instead of at its next attempt time';
}

/** The live job in a few words: "active", "delayed · next in 42 s", or null when there is none. */
export function describeJob(order: OrderView, now = Date.now()): string | null {
  const job = order.job;
  if (!job) return null;
  const next = job.nextAttemptAt ?? order.nextAttemptAt;
  const attempts = job.attemptsMade > 0 ? ` · ${job.attemptsMade} tried` : '';
  return job.state === 'delayed' && next ? `delayed · next ${formatRelative(next, now)}${attempts}` : `${job.state}${attempts}`;
}
