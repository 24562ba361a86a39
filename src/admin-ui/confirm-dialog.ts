import { byId, h, setText } from './dom';

export interface ConfirmQuestion {
  /** The question, e.g. "Retry 37 failed orders?" (the dialog's accessible name). */
  title: string;
  /** Lines that explain it (the dialog's description). */
  lines: string[];
  /** The confirming button's label, e.g. "Retry 37 orders". */
  confirmLabel: string;
}

/**
 * Asks before a bulk action, in a modal `<dialog>` (the CSP allows no inline handlers, and
 * `window.confirm` cannot be styled or named). Focus starts on Cancel; Escape or Cancel answer no, and
 * focus goes back to where it was.
 */
export class ConfirmDialog {
  private readonly title = byId('confirm-title', HTMLHeadingElement);
  private readonly text = byId('confirm-text', HTMLDivElement);
  private readonly ok = byId('confirm-ok', HTMLButtonElement);
  private readonly cancel = byId('confirm-cancel', HTMLButtonElement);
  private pending: ((confirmed: boolean) => void) | null = null;
  private returnFocus: HTMLElement | null = null;

  constructor(private readonly dialog: HTMLDialogElement) {
    this.ok.addEventListener('click', () => dialog.close('confirm'));
    this.cancel.addEventListener('click', () => dialog.close('cancel'));
    dialog.addEventListener('close', () => {
      const answer = this.pending;
      this.pending = null;
      this.returnFocus?.focus();
      this.returnFocus = null;
      answer?.(dialog.returnValue === 'confirm');
    });
  }

  /** Resolves true when the admin confirms, false when they cancel (or another question replaces this one). */
  ask(question: ConfirmQuestion): Promise<boolean> {
    this.pending?.(false);
    setText(this.title, question.title);
    this.text.replaceChildren(...question.lines.map((line) => h('p', { text: line })));
    setText(this.ok, question.confirmLabel);
    this.returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    this.dialog.returnValue = '';
    return new Promise((resolve) => {
      this.pending = resolve;
      if (!this.dialog.open) this.dialog.showModal();
      this.cancel.focus();
    });
  }
}
