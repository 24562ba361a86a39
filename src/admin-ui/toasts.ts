import { h } from './dom';

export type ToastKind = 'success' | 'info' | 'error';

const VISIBLE_MS: Record<ToastKind, number> = { success: 6_000, info: 8_000, error: 12_000 };
const MAX_TOASTS = 4;

/**
 * Toasts in an `aria-live="polite"` region, so screen readers read each message once. Each can be
 * dismissed with its own button; they also go away by themselves.
 */
export function createToaster(region: HTMLElement): (message: string, kind?: ToastKind) => void {
  return (message, kind = 'info') => {
    const dismiss = h('button', { className: 'toast-close', text: '×', attrs: { type: 'button', 'aria-label': 'Dismiss message' } });
    const toast = h('div', { className: `toast toast-${kind}`, attrs: { 'data-kind': kind } }, h('p', { className: 'toast-text', text: message }), dismiss);
    const remove = (): void => toast.remove();
    dismiss.addEventListener('click', remove);
    setTimeout(remove, VISIBLE_MS[kind]);
    region.append(toast);
    while (region.childElementCount > MAX_TOASTS) region.firstElementChild?.remove();
  };
}
