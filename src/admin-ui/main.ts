/**
 * The admin orders page: sign in, the orders table with its Provision/Retry buttons, the order
 * detail, and polling so rows follow their jobs. It uses only the public API and the session
 * endpoints; the README ("The admin page") explains how the admin token is handled.
 */
import { ORDER_STATUSES, PROVIDER_NAMES, PROVISIONING_STATUSES } from '../domain/statuses';
import { ApiError, getOrder, listOrders, provision, signIn, signOut, type OrderFilters, type OrderView } from './api-client';
import { byId, h, setText } from './dom';
import { formatTime } from './format';
import { OrderDetail } from './order-detail';
import { OrdersTable } from './orders-table';
import { createToaster } from './toasts';

/** How often the table and the open detail are refreshed (the contract asks for ≤ 2 s). */
const POLL_MS = 1_500;

const elements = {
  boot: byId('boot', HTMLParagraphElement),
  signInView: byId('sign-in-view', HTMLElement),
  signInForm: byId('sign-in-form', HTMLFormElement),
  token: byId('admin-token', HTMLInputElement),
  signInError: byId('sign-in-error', HTMLParagraphElement),
  signInButton: byId('sign-in-button', HTMLButtonElement),
  signOut: byId('sign-out', HTMLButtonElement),
  ordersView: byId('orders-view', HTMLElement),
  ordersHeading: byId('orders-heading', HTMLHeadingElement),
  filters: byId('filters', HTMLFormElement),
  status: byId('filter-status', HTMLSelectElement),
  provisioningStatus: byId('filter-provisioning', HTMLSelectElement),
  provider: byId('filter-provider', HTMLSelectElement),
  body: byId('orders-body', HTMLTableSectionElement),
  empty: byId('orders-empty', HTMLParagraphElement),
  prev: byId('page-prev', HTMLButtonElement),
  next: byId('page-next', HTMLButtonElement),
  pageLabel: byId('page-label', HTMLSpanElement),
  updated: byId('updated', HTMLSpanElement),
};

const state = {
  signedIn: false,
  orders: [] as OrderView[],
  cursor: null as string | null,
  /** Cursors of the pages before this one, to go back (the API's cursors only go forward). */
  previous: [] as (string | null)[],
  nextCursor: null as string | null,
  /** Orders whose Provision/Retry request is being sent. */
  sending: new Set<string>(),
  /** Bumped by every list request; answers to older ones are dropped (filters or page changed). */
  listRequest: 0,
  pollTimer: undefined as ReturnType<typeof setTimeout> | undefined,
  loadFailed: false,
};

const toastRegion = byId('toasts', HTMLDivElement);
const toast = createToaster(toastRegion);
const table = new OrdersTable(elements.body, { onProvision: (id) => void provisionOrder(id), onDetails: (id, opener) => openDetail(id, opener) });
const detailDialog = byId('detail', HTMLDialogElement);
const detail = new OrderDetail(detailDialog, (id) => void provisionOrder(id));
// A modal dialog covers everything outside it: toasts move in while it is open.
detailDialog.addEventListener('close', () => document.body.append(toastRegion));

function fillSelect(select: HTMLSelectElement, values: readonly string[]): void {
  select.append(...values.map((value) => h('option', { text: value, attrs: { value } })));
}

function filters(): OrderFilters {
  return { status: elements.status.value, provisioningStatus: elements.provisioningStatus.value, provider: elements.provider.value };
}

function showSignIn(message = ''): void {
  state.signedIn = false;
  clearTimeout(state.pollTimer);
  detail.close();
  elements.boot.hidden = true;
  elements.ordersView.hidden = true;
  elements.signOut.hidden = true;
  elements.signInView.hidden = false;
  setText(elements.signInError, message);
  elements.token.setAttribute('aria-invalid', String(message !== ''));
  elements.token.focus();
}

function showOrders(): void {
  state.signedIn = true;
  elements.boot.hidden = true;
  elements.signInView.hidden = true;
  elements.ordersView.hidden = false;
  elements.signOut.hidden = false;
}

/** Any failed call: a lost session goes back to sign-in, anything else is a toast. */
function handleError(error: unknown, what: string): void {
  if (error instanceof ApiError && error.signedOut) {
    showSignIn('Your session has ended. Sign in again.');
    return;
  }
  toast(`${what}: ${error instanceof Error ? error.message : String(error)}`, 'error');
}

function render(): void {
  table.render(state.orders, state.sending);
  elements.empty.hidden = state.orders.length > 0;
  elements.prev.disabled = state.previous.length === 0;
  elements.next.disabled = state.nextCursor === null;
  setText(elements.pageLabel, `Page ${state.previous.length + 1}`);
  const shown = detail.openOrderId ? state.orders.find((order) => order.id === detail.openOrderId) : undefined;
  if (shown) detail.update(shown, state.sending.has(shown.id));
}

async function loadOrders(): Promise<void> {
  const request = ++state.listRequest;
  try {
    const page = await listOrders(filters(), state.cursor);
    if (request !== state.listRequest || !state.signedIn) return;
    state.orders = page.orders;
    state.nextCursor = page.nextCursor;
    state.loadFailed = false;
    setText(elements.updated, `Updated ${formatTime(new Date())}`);
    render();
  } catch (error) {
    if (request !== state.listRequest) return;
    // While polling, say it once, not every 1.5 s.
    if (!state.loadFailed || (error instanceof ApiError && error.signedOut)) handleError(error, 'Could not load orders');
    state.loadFailed = true;
  }
}

async function loadDetail(): Promise<void> {
  const orderId = detail.openOrderId;
  if (!orderId) return;
  try {
    const order = await getOrder(orderId);
    detail.update(order, state.sending.has(order.id));
  } catch (error) {
    if (detail.openOrderId !== orderId) return;
    if (error instanceof ApiError && error.status === 404) {
      detail.close();
      toast(`Order ${orderId} no longer exists.`, 'error');
    } else if (!state.loadFailed || (error instanceof ApiError && error.signedOut)) {
      // While the list also fails, its toast already says so.
      handleError(error, `Could not load order ${orderId}`);
    }
  }
}

/** Refreshes the table (and the open detail), then schedules the next poll. */
async function refresh(): Promise<void> {
  clearTimeout(state.pollTimer);
  await Promise.all([loadOrders(), loadDetail()]);
  if (state.signedIn) state.pollTimer = setTimeout(() => void poll(), POLL_MS);
}

async function poll(): Promise<void> {
  // A hidden tab does not poll; it refreshes as soon as it is shown again.
  if (document.hidden) return;
  await refresh();
}

function openDetail(orderId: string, opener: HTMLElement | null): void {
  detail.open(orderId, opener);
  detailDialog.append(toastRegion);
  const known = state.orders.find((order) => order.id === orderId);
  if (known) detail.update(known, state.sending.has(orderId));
  void loadDetail();
}

async function provisionOrder(orderId: string): Promise<void> {
  if (state.sending.has(orderId)) return;
  // Disable the button at once (synchronously), so a double click sends one request.
  state.sending.add(orderId);
  render();
  try {
    const outcome = await provision(orderId);
    toast(outcome.message, outcome.kind);
    // Still "sending" while the fresh state loads, so the button does not flash enabled in between.
    if (state.signedIn) await refresh();
  } catch (error) {
    handleError(error, 'Provisioning was refused');
  } finally {
    state.sending.delete(orderId);
    render();
  }
}

elements.signInForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = elements.token.value;
  if (!token) {
    showSignIn('Enter the admin token.');
    return;
  }
  elements.signInButton.disabled = true;
  setText(elements.signInError, '');
  signIn(token)
    .then(async () => {
      elements.token.value = '';
      elements.token.removeAttribute('aria-invalid');
      showOrders();
      elements.ordersHeading.focus();
      await refresh();
    })
    .catch((error: unknown) => {
      elements.token.select();
      const message = error instanceof ApiError && error.status === 403 ? 'That admin token is not valid.' : error instanceof Error ? error.message : String(error);
      showSignIn(message);
    })
    .finally(() => {
      elements.signInButton.disabled = false;
    });
});

elements.signOut.addEventListener('click', () => {
  signOut()
    .then(() => {
      showSignIn();
      toast('Signed out.', 'info');
    })
    .catch((error: unknown) => handleError(error, 'Could not sign out'));
});

elements.filters.addEventListener('change', () => {
  state.cursor = null;
  state.previous = [];
  void refresh();
});
elements.filters.addEventListener('submit', (event) => event.preventDefault());

elements.next.addEventListener('click', () => {
  if (state.nextCursor === null) return;
  state.previous.push(state.cursor);
  state.cursor = state.nextCursor;
  void refresh();
});

elements.prev.addEventListener('click', () => {
  if (state.previous.length === 0) return;
  state.cursor = state.previous.pop() ?? null;
  void refresh();
});

document.addEventListener('visibilitychange', () => {
  if (!document.hidden && state.signedIn) void refresh();
});

fillSelect(elements.status, ORDER_STATUSES);
fillSelect(elements.provisioningStatus, PROVISIONING_STATUSES);
fillSelect(elements.provider, PROVIDER_NAMES);

/** Signed in already (the session cookie)? The first list request tells. */
async function boot(): Promise<void> {
  try {
    const page = await listOrders(filters(), null);
    showOrders();
    state.orders = page.orders;
    state.nextCursor = page.nextCursor;
    setText(elements.updated, `Updated ${formatTime(new Date())}`);
    render();
  } catch (error) {
    if (error instanceof ApiError && error.signedOut) {
      showSignIn();
      return;
    }
    showOrders();
    handleError(error, 'Could not load orders');
  }
  state.pollTimer = setTimeout(() => void poll(), POLL_MS);
}

void boot();
