import type { ProviderName, ProviderOperation } from './types';

/**
 * How a provider failure should be handled:
 * - `permanent`: a 4xx or a validation problem; retrying cannot help, the order fails at once;
 * - `transient`: a 5xx or a network error; retry with the staged backoff;
 * - `rate_limited`: a 429; retry later (after `retryAfterMs` when the provider says);
 * - `timeout`: no answer in time; the request may or may not have taken effect, so retry by looking up first.
 */
export type ProviderErrorKind = 'permanent' | 'transient' | 'rate_limited' | 'timeout';

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly code = 'provider_error';

  constructor(
    message: string,
    readonly details: {
      provider: ProviderName;
      operation: ProviderOperation;
      kind: ProviderErrorKind;
      status?: number;
      retryAfterMs?: number;
    },
  ) {
    super(message);
  }

  get kind(): ProviderErrorKind {
    return this.details.kind;
  }

  get retryable(): boolean {
    return this.details.kind !== 'permanent';
  }
}
