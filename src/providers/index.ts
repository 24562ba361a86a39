import { createHostycareClient } from './hostycare';
import { ProviderError } from './provider-error';
import { createSmartVpsClient } from './smartvps';
import { PROVIDER_LABELS, type ProviderCallObserver, type ProviderClient, type ProviderClientOptions, type ProviderName, type ProviderOperation } from './types';

export { createHostycareClient } from './hostycare';
export { createSmartVpsClient } from './smartvps';

/** Provider settings as `Config['providers']` holds them, plus an optional call observer. */
export interface ProviderClientsOptions {
  smartvps: { url: string | undefined; apiKey: string };
  hostycare: { url: string | undefined; apiKey: string };
  timeoutMs: number;
  onCall?: ProviderCallObserver;
}

const FACTORIES: Record<ProviderName, (options: ProviderClientOptions) => ProviderClient> = {
  smartvps: createSmartVpsClient,
  hostycare: createHostycareClient,
};

/** One client per provider; a provider without a URL gets a client whose every call fails permanently. */
export function createProviderClients(options: ProviderClientsOptions): Record<ProviderName, ProviderClient> {
  const create = (name: ProviderName): ProviderClient => {
    const { url, apiKey } = options[name];
    if (url === undefined) return unconfiguredClient(name);
    return FACTORIES[name]({ baseUrl: url, apiKey, timeoutMs: options.timeoutMs, onCall: options.onCall });
  };
  return { smartvps: create('smartvps'), hostycare: create('hostycare') };
}

/**
 * Failing on use rather than at startup lets the API and a worker serving only the other provider run
 * while one provider is not set up yet; orders for it fail with a clear reason.
 */
function unconfiguredClient(name: ProviderName): ProviderClient {
  const fail = (operation: ProviderOperation) =>
    Promise.reject(
      new ProviderError(`${PROVIDER_LABELS[name]} API URL is not configured`, { provider: name, operation, kind: 'permanent' }),
    );
  return {
    name,
    findPurchase: () => fail('find'),
    buy: () => fail('buy'),
    getPurchase: () => fail('status'),
  };
}
