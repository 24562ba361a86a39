import { OBJECT_ID_HEX } from '../domain/ids';
import { ORDER_STATUSES, PROVIDER_NAMES, PROVISIONING_STATUSES } from '../domain/statuses';
import type { OrderFilters } from './api-client';

/**
 * The page's address says what it shows, so a link can be shared or opened from an alert:
 * `/admin?provisioningStatus=failed&provider=smartvps&q=…` sets the filters and the search, and
 * `/admin?order=<id>` opens that order's detail once signed in.
 */
export interface PageLink {
  filters: OrderFilters;
  /** The `order` parameter as given (checked by the caller, which says when it is not an order id). */
  orderId: string | null;
}

const FILTER_VALUES: Record<Exclude<keyof OrderFilters, 'q'>, readonly string[]> = {
  status: ORDER_STATUSES,
  provisioningStatus: PROVISIONING_STATUSES,
  provider: PROVIDER_NAMES,
};

/** The longest search the API takes. */
export const MAX_SEARCH_LENGTH = 254;

export function isOrderId(value: string): boolean {
  return OBJECT_ID_HEX.test(value);
}

/** The filters, search and order of an address's query string; unknown values are left out. */
export function readPageLink(search: string): PageLink {
  const params = new URLSearchParams(search);
  const filters: OrderFilters = {};
  for (const [name, allowed] of Object.entries(FILTER_VALUES) as [keyof typeof FILTER_VALUES, readonly string[]][]) {
    const value = params.get(name);
    if (value && allowed.includes(value)) filters[name] = value;
  }
  const q = params.get('q')?.trim().slice(0, MAX_SEARCH_LENGTH);
  if (q) filters.q = q;
  return { filters, orderId: params.get('order')?.trim() || null };
}

/** Puts the filters, search and open order in the address bar, replacing the entry (Back leaves the page). */
export function writePageLink(link: PageLink): void {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(link.filters)) {
    if (value) params.set(name, value);
  }
  if (link.orderId) params.set('order', link.orderId);
  const query = params.toString();
  const url = `${location.pathname}${query ? `?${query}` : ''}`;
  if (url !== `${location.pathname}${location.search}`) history.replaceState(null, '', url);
}
