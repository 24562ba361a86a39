/**
 * DOM helpers. Everything the page shows is set through `textContent` or text nodes, never parsed as
 * markup: order data cannot inject elements or scripts (and the page's CSP enforces Trusted Types).
 */

type Child = Node | string | null | undefined | false;

export interface ElementProps {
  className?: string;
  text?: string;
  attrs?: Record<string, string>;
}

/** Creates an element with a class, text and attributes; string children become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: ElementProps = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.className) element.className = props.className;
  if (props.text !== undefined) element.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) element.setAttribute(name, value);
  for (const child of children) {
    if (child) element.append(child);
  }
  return element;
}

/** The element with this id, checked to be of the expected type. */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`#${id} is missing or not a ${type.name}`);
  return element;
}

/** Sets an element's text only when it changed (keeps screen readers and selections calm). */
export function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

/** A small CSS spinner, hidden from assistive technology (the control says "in progress" itself). */
export function spinner(): HTMLSpanElement {
  return h('span', { className: 'spinner', attrs: { 'aria-hidden': 'true' } });
}
