/**
 * The admin orders page: sign in (as a named admin), search and filter the orders, Provision/Retry and
 * Run now on a row, bulk Retry with a confirmation, the order detail with its attempt history and audit
 * entries, and polling so rows follow their jobs. It uses only the public API and the session
 * endpoints; the README ("The admin page") explains how the admin token is handled.
 */
import { ORDER_STATUSES, PROVIDER_NAMES, PROVISIONING_STATUSES } from '../domain/statuses';
import { ApiError, currentAdmin, getOrder, listOrders, provision, signIn, signOut, type OrderFilters, type OrderView } from './api-client';
import { retryAllFailed, retrySelected } from './bulk-retry';
import { ConfirmDialog } from './confirm-dialog';
import { byId, h, setText } from './dom';
import { formatTime, plural, providerLabel } from './format';
import { OrderDetail } from './order-detail';
import { OrdersTable } from './orders-table';
import { isOrderId, readPageLink, writePageLink } from './page-link';
import { createToaster } from './toasts';

/** How often the table and the open detail are refreshed (the contract asks for ≤ 2 s). */
const POLL_MS = 1_500;

const elements = {
  boot: byId('boot', HTMLParagraphElement),
  signInView: byId('sign-in-view', HTMLElement),
  signInForm: byId('sign-in-form', HTMLFormElement),
  signInNext: byId('sign-in-next', HTMLParagraphElement),
  token: byId('admin-token', HTMLInputElement),
  signInError: byId('sign-in-error', HTMLParagraphElement),
  signInButton: byId('sign-in-button', HTMLButtonElement),
  who: byId('who', HTMLSpanElement),
  whoName: byId('who-name', HTMLElement),
  signOut: byId('sign-out', HTMLButtonElement),
  ordersView: byId('orders-view', HTMLElement),
  ordersHeading: byId('orders-heading', HTMLHeadingElement),
  filters: byId('filters', HTMLFormElement),
  search: byId('search', HTMLInputElement),
  status: byId('filter-status', HTMLSelectElement),
  provisioningStatus: byId('filter-provisioning', HTMLSelectElement),
  provider: byId('filter-provider', HTMLSelectElement),
  selectAll: byId('select-all', HTMLInputElement),
  selectionCount: byId('selection-count', HTMLSpanElement),
  retrySelected: byId('retry-selected', HTMLButtonElement),
  retryFailed: byId('retry-failed', HTMLButtonElement),
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
  /** The filters and search the table shows (what the last change applied). */
  applied: {} as OrderFilters,
  /** Orders whose Provision/Retry/Run now request is being sent. */
  sending: new Set<string>(),
  /** Ticked rows, for Retry selected; only rows on the page shown stay ticked. */
  selected: new Set<string>(),
  /** A bulk Retry is counting, asking or sending. */
  bulkBusy: false,
  /** An order to open once signed in (`/admin?order=<id>`). */
  pendingOrderId: null as string | null,
  /** Bumped by every list request; answers to older ones are dropped (filters or page changed). */
  listRequest: 0,
  pollTimer: undefined as ReturnType<typeof setTimeout> | undefined,
  loadFailed: false,
};

const toastRegion = byId('toasts', HTMLDivElement);
const toast = createToaster(toastRegion);
const table = new OrdersTable(elements.body, {
  onProvision: (id) => void provisionOrder(id),
  onRunNow: (id) => void provisionOrder(id, { now: true }),
  onDetails: (id, opener) => openDetail(id, opener),
  onSelect: (id, selected) => {
    if (selected) state.selected.add(id);
    else state.selected.delete(id);
    render();
  },
});
const detailDialog = byId('detail', HTMLDialogElement);
const detail = new OrderDetail(
  detailDialog,
  (id) => void provisionOrder(id),
  (id) => void provisionOrder(id, { now: true }),
);
const confirmDialog = new ConfirmDialog(byId('confirm', HTMLDialogElement));
detailDialog.addEventListener('close', () => {
  // A modal dialog covers everything outside it: toasts move in while it is open.
  document.body.append(toastRegion);
  updateLink();
  // Opened from a link, the detail had no opener to give focus back to.
  if (!detailDialog.contains(document.activeElement) && document.activeElement === document.body) elements.ordersHeading.focus();
});

function fillSelect(select: HTMLSelectElement, values: readonly string[], label: (value: string) => string = (value) => value): void {
  select.append(...values.map((value) => h('option', { text: label(value), attrs: { value } })));
}

/** The filters and search as the form shows them now; empty ones left out. */
function formFilters(): OrderFilters {
  const filters: OrderFilters = {
    q: elements.search.value.trim() || undefined,
    status: elements.status.value || undefined,
    provisioningStatus: elements.provisioningStatus.value || undefined,
    provider: elements.provider.value || undefined,
  };
  return Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined));
}

function setFormFilters(filters: OrderFilters): void {
  elements.search.value = filters.q ?? '';
  elements.status.value = filters.status ?? '';
  elements.provisioningStatus.value = filters.provisioningStatus ?? '';
  elements.provider.value = filters.provider ?? '';
}

function updateLink(): void {
  writePageLink({ filters: state.applied, orderId: detail.openOrderId ?? state.pendingOrderId });
}

function showSignIn(message = ''): void {
  state.signedIn = false;
  clearTimeout(state.pollTimer);
  detail.close();
  state.selected.clear();
  elements.boot.hidden = true;
  elements.ordersView.hidden = true;
  elements.signOut.hidden = true;
  elements.who.hidden = true;
  elements.signInView.hidden = false;
  const next = state.pendingOrderId;
  setText(elements.signInNext, next ? `Sign in to open order ${next}.` : '');
  elements.signInNext.hidden = !next;
  setText(elements.signInError, message);
  elements.token.setAttribute('aria-invalid', String(message !== ''));
  elements.token.focus();
}

function showOrders(adminName: string): void {
  state.signedIn = true;
  elements.boot.hidden = true;
  elements.signInView.hidden = true;
  elements.ordersView.hidden = false;
  setText(elements.whoName, adminName);
  elements.who.hidden = false;
  elements.signOut.hidden = false;
}

/** Any failed call: a lost session goes back to sign-in, anything else is a toast. */
function handleError(error: unknown, what: string): void {
  if (error instanceof ApiError && error.signedOut) {
    // The order on screen opens again after signing in.
    state.pendingOrderId ??= detail.openOrderId;
    showSignIn('Your session has ended. Sign in again.');
    return;
  }
  toast(`${what}: ${error instanceof Error ? error.message : String(error)}`, 'error');
}

function renderBulkBar(): void {
  const onPage = state.orders.length;
  const ticked = state.selected.size;
  elements.selectAll.checked = onPage > 0 && ticked === onPage;
  elements.selectAll.indeterminate = ticked > 0 && ticked < onPage;
  elements.selectAll.disabled = onPage === 0;
  setText(elements.selectionCount, ticked > 0 ? `${plural(ticked, 'order')} selected` : '');
  setText(elements.retrySelected, ticked > 0 ? `Retry selected (${ticked})` : 'Retry selected');
  elements.retrySelected.disabled = ticked === 0 || state.bulkBusy;
  elements.retryFailed.disabled = state.bulkBusy;
  elements.retrySelected.setAttribute('aria-busy', String(state.bulkBusy));
  elements.retryFailed.setAttribute('aria-busy', String(state.bulkBusy));
}

function render(): void {
  const shownIds = new Set(state.orders.map((order) => order.id));
  for (const id of state.selected) if (!shownIds.has(id)) state.selected.delete(id);
  table.render(state.orders, state.sending, state.selected);
  renderBulkBar();
  elements.empty.hidden = state.orders.length > 0;
  setText(elements.empty, state.applied.q ? `No orders match the search “${state.applied.q}” with these filters.` : 'No orders match these filters.');
  elements.prev.disabled = state.previous.length === 0;
  elements.next.disabled = state.nextCursor === null;
  setText(elements.pageLabel, `Page ${state.previous.length + 1}`);
  const shown = detail.openOrderId ? state.orders.find((order) => order.id === detail.openOrderId) : undefined;
  if (shown) detail.update(shown, state.sending.has(shown.id));
}

async function loadOrders(): Promise<void> {
  const request = ++state.listRequest;
  try {
    const page = await listOrders(state.applied, state.cursor);
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
      toast(`Order ${orderId} was not found.`, 'error');
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
  if (state.signedIn) {
    clearTimeout(state.pollTimer);
    state.pollTimer = setTimeout(() => void poll(), POLL_MS);
  }
}

async function poll(): Promise<void> {
  // A hidden tab does not poll; it refreshes as soon as it is shown again.
  if (document.hidden) return;
  await refresh();
}

function openDetail(orderId: string, opener: HTMLElement | null): void {
  detail.open(orderId, opener);
  detailDialog.append(toastRegion);
  updateLink();
  const known = state.orders.find((order) => order.id === orderId);
  if (known) detail.update(known, state.sending.has(orderId));
  void loadDetail();
}

/** Signed in: show the orders, then the order a link asked for. */
async function enterOrders(adminName: string): Promise<void> {
  showOrders(adminName);
  const orderId = state.pendingOrderId;
  state.pendingOrderId = null;
  if (orderId) openDetail(orderId, null);
  else elements.ordersHeading.focus();
  await refresh();
}

/** Provision/Retry, or with `now` Run now; the answer is a toast and the row follows its job. */
async function provisionOrder(orderId: string, options: { now?: boolean } = {}): Promise<void> {
  if (state.sending.has(orderId)) return;
  // Disable the buttons at once (synchronously), so a double click sends one request.
  state.sending.add(orderId);
  render();
  try {
    const outcome = await provision(orderId, options);
    toast(outcome.message, outcome.kind);
    // Still "sending" while the fresh state loads, so the button does not flash enabled in between.
    if (state.signedIn) await refresh();
  } catch (error) {
    handleError(error, options.now ? 'Run now was refused' : 'Provisioning was refused');
  } finally {
    state.sending.delete(orderId);
    render();
  }
}

/** Runs a bulk Retry flow with both bulk buttons disabled, then refreshes so rows follow their jobs. */
async function bulkRetry(run: () => Promise<unknown>): Promise<void> {
  if (state.bulkBusy) return;
  state.bulkBusy = true;
  renderBulkBar();
  try {
    if (await run()) {
      state.selected.clear();
      await refresh();
    }
  } catch (error) {
    handleError(error, 'Bulk Retry was refused');
  } finally {
    state.bulkBusy = false;
    render();
  }
}

/** The form's filters and search become the table's: back to the first page. */
function applyFilters(): void {
  const filters = formFilters();
  if (JSON.stringify(filters) === JSON.stringify(state.applied)) return;
  state.applied = filters;
  state.cursor = null;
  state.previous = [];
  state.selected.clear();
  updateLink();
  if (state.signedIn) void refresh();
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
    .then(async (name) => {
      elements.token.value = '';
      elements.token.removeAttribute('aria-invalid');
      await enterOrders(name);
    })
    .catch((error: unknown) => {
      elements.token.select();
      let message = error instanceof Error ? error.message : String(error);
      if (error instanceof ApiError && error.status === 403) message = 'That admin token is not valid.';
      if (error instanceof ApiError && error.status === 429 && error.retryAfterSeconds !== undefined) message = `${message} (${error.retryAfterSeconds} s)`;
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

// Selects apply at once; the search on Enter or the Search button (and when cleared).
elements.filters.addEventListener('change', (event) => {
  if (event.target !== elements.search) applyFilters();
});
elements.filters.addEventListener('submit', (event) => {
  event.preventDefault();
  applyFilters();
});
elements.search.addEventListener('input', () => {
  if (elements.search.value === '' && state.applied.q) applyFilters();
});

elements.selectAll.addEventListener('change', () => {
  state.selected = elements.selectAll.checked ? new Set(state.orders.map((order) => order.id)) : new Set();
  render();
});
const bulkDeps = { confirm: confirmDialog, toast };
elements.retrySelected.addEventListener('click', () => void bulkRetry(() => retrySelected(bulkDeps, [...state.selected])));
elements.retryFailed.addEventListener('click', () => void bulkRetry(() => retryAllFailed(bulkDeps, state.applied)));

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
fillSelect(elements.provider, PROVIDER_NAMES, providerLabel);

/** Reads the address (filters, search, an order to open), then asks who is signed in (the session cookie). */
async function boot(): Promise<void> {
  const link = readPageLink(location.search);
  setFormFilters(link.filters);
  state.applied = formFilters();
  if (link.orderId && isOrderId(link.orderId)) state.pendingOrderId = link.orderId.toLowerCase();
  else if (link.orderId) toast(`“${link.orderId}” is not an order id.`, 'error');
  updateLink();
  let adminName: string | null;
  try {
    adminName = await currentAdmin();
  } catch (error) {
    setText(elements.boot, `Could not reach the API: ${error instanceof Error ? error.message : String(error)} Reload the page to try again.`);
    return;
  }
  if (adminName === null) showSignIn();
  else await enterOrders(adminName);
}

void boot();
