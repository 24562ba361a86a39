import { bulkProvision, listOrderIds, type BulkProvisionAnswer, type BulkSelection, type OrderFilters } from './api-client';
import type { ConfirmDialog } from './confirm-dialog';
import { plural, providerLabel } from './format';
import type { ToastKind } from './toasts';

/** The API's limit on a bulk Retry by ids. */
const MAX_ORDER_IDS = 500;

export interface BulkRetryDeps {
  confirm: ConfirmDialog;
  toast(message: string, kind?: ToastKind): void;
}

type Counts = BulkProvisionAnswer['counts'];

/** The orders a Retry would leave alone, and why: "2 with a job in progress, 1 already active". */
function skipped(counts: Counts): string[] {
  const parts: string[] = [];
  if (counts.in_progress) parts.push(`${counts.in_progress} with a job in progress`);
  if (counts.already_active) parts.push(`${counts.already_active} already active`);
  if (counts.not_provisionable) parts.push(`${counts.not_provisionable} not provisionable (not paid or cancelled)`);
  if (counts.not_found) parts.push(`${counts.not_found} not found`);
  return parts;
}

/** What the bulk request did, for a toast: "Bulk Retry: 37 queued, 2 in progress." */
export function describeAnswer(answer: BulkProvisionAnswer): { message: string; kind: ToastKind } {
  const { counts } = answer;
  const parts = [`${counts.queued} queued`];
  if (counts.in_progress) parts.push(`${counts.in_progress} in progress`);
  if (counts.already_active) parts.push(`${counts.already_active} already active`);
  if (counts.not_provisionable) parts.push(`${counts.not_provisionable} not provisionable`);
  if (counts.not_found) parts.push(`${counts.not_found} not found`);
  const errors = answer.results.flatMap((result) => ('error' in result ? [result.error] : []));
  if (errors.length > 0) parts.push(`${errors.length} not requested (${[...new Set(errors)].join(', ')}): try those again`);
  return { message: `Bulk Retry: ${parts.join(', ')}.`, kind: errors.length > 0 ? 'error' : counts.queued > 0 ? 'success' : 'info' };
}

/** "provider SmartVPS, status confirmed, search “a@b.c”", or '' for no filter. */
function describeFilters(filters: OrderFilters): string {
  const parts: string[] = [];
  if (filters.provider) parts.push(`provider ${providerLabel(filters.provider)}`);
  if (filters.status) parts.push(`status ${filters.status}`);
  if (filters.q) parts.push(`search “${filters.q}”`);
  return parts.join(', ');
}

/**
 * Counts first (a dry run), asks with the count, then sends the same selection. Resolves to the
 * answer, or null when there was nothing to do or the admin said no.
 */
async function confirmAndSend(
  deps: BulkRetryDeps,
  selection: BulkSelection,
  question: (willQueue: number) => { title: string; intro: string; confirmLabel: string },
): Promise<BulkProvisionAnswer | null> {
  const dry = await bulkProvision(selection, true);
  const willQueue = dry.counts.queued;
  const leftAlone = skipped(dry.counts);
  if (willQueue === 0) {
    deps.toast(`Nothing to retry${leftAlone.length > 0 ? `: ${leftAlone.join(', ')}` : ''}.`, 'info');
    return null;
  }
  const { title, intro, confirmLabel } = question(willQueue);
  const lines = [intro];
  if (leftAlone.length > 0) lines.push(`Left as they are: ${leftAlone.join(', ')}.`);
  lines.push('Each order gets a provisioning job now; its row follows the job.');
  if (!(await deps.confirm.ask({ title, lines, confirmLabel }))) return null;
  const answer = await bulkProvision(selection, false);
  const { message, kind } = describeAnswer(answer);
  deps.toast(message, kind);
  return answer;
}

/** "Retry selected": the ticked orders, by id. */
export function retrySelected(deps: BulkRetryDeps, orderIds: readonly string[]): Promise<BulkProvisionAnswer | null> {
  return confirmAndSend(deps, { orderIds: orderIds.slice(0, MAX_ORDER_IDS) }, (count) => ({
    title: `Retry ${plural(count, 'order')}?`,
    intro: `${plural(orderIds.length, 'order')} selected; ${count} can be retried.`,
    confirmLabel: `Retry ${plural(count, 'order')}`,
  }));
}

/**
 * "Retry all failed": every failed order within the other filters. The bulk route's filter has no
 * search, so with a search the page gathers the matching failed orders itself and sends their ids.
 */
export async function retryAllFailed(deps: BulkRetryDeps, filters: OrderFilters): Promise<BulkProvisionAnswer | null> {
  const failed: OrderFilters = { ...filters, provisioningStatus: 'failed' };
  let selection: BulkSelection;
  if (failed.q) {
    const orderIds = await listOrderIds(failed, MAX_ORDER_IDS);
    if (orderIds.length === 0) {
      deps.toast('No failed orders match this search.', 'info');
      return null;
    }
    selection = { orderIds };
  } else {
    // Only the filters in use: the API refuses an empty value.
    const filter = Object.fromEntries(Object.entries(failed).filter(([name, value]) => name !== 'q' && Boolean(value)));
    selection = { filter };
  }
  const scope = describeFilters(filters);
  return confirmAndSend(deps, selection, (count) => ({
    title: `Retry ${plural(count, 'failed order')}?`,
    intro: scope ? `Every failed order with ${scope}.` : 'Every failed order.',
    confirmLabel: `Retry ${plural(count, 'order')}`,
  }));
}
