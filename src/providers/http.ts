import { STATUS_CODES } from 'node:http';
import type { z } from 'zod';
import { ProviderError, type ProviderErrorKind } from './provider-error';
import { PROVIDER_LABELS, type ProviderCallObserver, type ProviderName, type ProviderOperation } from './types';


/** What an adapter fixes once for all its calls. */
export interface ProviderHttpOptions {
  provider: ProviderName;
  baseUrl: string;
  timeoutMs: number;
  /** Authentication headers, sent on every call. */
  headers: Record<string, string>;
  /** Strings that must never appear in an error message (the API key). */
  secrets: string[];
  onCall?: ProviderCallObserver;
  /** Extracts the provider's own explanation from an error response body, if it has one. */
  describeError(body: unknown): string | undefined;
}

/** One JSON call; the answer is validated with `schema`. */
export interface JsonRequest<T> {
  operation: ProviderOperation;
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: unknown;
  schema: z.ZodType<T>;
  signal?: AbortSignal;
  /** Whether a valid answer means "nothing found" (reported to `onCall` as `not_found`). */
  isEmpty?(value: T): boolean;
}

/** Sends JSON requests for one provider and turns every failure into a `ProviderError`. */
export type JsonCaller = <T>(request: JsonRequest<T>) => Promise<T>;

const MAX_DETAIL_LENGTH = 300;

/** Builds the caller an adapter uses for all its HTTP. */
export function createJsonCaller(options: ProviderHttpOptions): JsonCaller {
  return (request) => callJson(options, request);
}

/** A ProviderError raised before or without any HTTP call (bad input, missing configuration). */
export function permanentError(provider: ProviderName, operation: ProviderOperation, reason: string): ProviderError {
  return new ProviderError(`${PROVIDER_LABELS[provider]} ${operation} failed: ${reason}`, { provider, operation, kind: 'permanent' });
}

async function callJson<T>(options: ProviderHttpOptions, request: JsonRequest<T>): Promise<T> {
  // A shutdown that already happened must not start a purchase.
  request.signal?.throwIfAborted();
  const url = buildUrl(options, request);
  const timeoutSignal = AbortSignal.timeout(options.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeoutSignal]) : timeoutSignal;
  const startedAt = performance.now();
  try {
    const value = await exchange(options, request, url, signal);
    report(options, request.operation, startedAt, request.isEmpty?.(value) ? 'not_found' : 'ok');
    return value;
  } catch (error) {
    // The caller's abort is a shutdown, not a provider failure: the worker must see it unchanged.
    if (request.signal?.aborted) throw request.signal.reason;
    const providerError = error instanceof ProviderError ? error : classifyThrown(options, request.operation, error, timeoutSignal);
    report(options, request.operation, startedAt, providerError.kind);
    throw providerError;
  }
}

function buildUrl(options: ProviderHttpOptions, request: JsonRequest<unknown>): URL {
  try {
    const url = new URL(`${options.baseUrl.replace(/\/+$/, '')}${request.path}`);
    for (const [name, value] of Object.entries(request.query ?? {})) url.searchParams.set(name, value);
    return url;
  } catch {
    throw permanentError(options.provider, request.operation, 'the configured API URL is not a valid URL');
  }
}

async function exchange<T>(options: ProviderHttpOptions, request: JsonRequest<T>, url: URL, signal: AbortSignal): Promise<T> {
  const hasBody = request.body !== undefined;
  const response = await fetch(url, {
    method: request.method,
    headers: {
      accept: 'application/json',
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
      ...request.headers,
    },
    body: hasBody ? JSON.stringify(request.body) : undefined,
    // Following a redirect would hand the API key to wherever it points.
    redirect: 'manual',
    signal,
  });
  if (response.status < 200 || response.status > 299) {
    // The status alone decides the kind; a body we cannot read only costs us the provider's explanation.
    const text = await response.text().catch(() => '');
    throw httpError(options, request.operation, response, text);
  }
  return parseBody(options, request, response.status, await response.text());
}

function parseBody<T>(options: ProviderHttpOptions, request: JsonRequest<T>, status: number, text: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw failure(options, request.operation, 'transient', `HTTP ${status} response is not valid JSON`, status);
  }
  const parsed = request.schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
      .join('; ');
    // Most likely a deploy on their side in progress or an API change: worth retrying, and worth a look.
    throw failure(options, request.operation, 'transient', `unexpected response shape (HTTP ${status}): ${issues}`, status);
  }
  return parsed.data;
}

function httpError(options: ProviderHttpOptions, operation: ProviderOperation, response: Response, text: string): ProviderError {
  const status = response.status;
  const statusText = response.statusText || STATUS_CODES[status] || '';
  const detail = providerDetail(options, text);
  const reason = `HTTP ${status}${statusText ? ` ${statusText}` : ''}${detail ? `: ${detail}` : ''}`;
  const kind = kindForStatus(status);
  const retryAfterMs = kind === 'rate_limited' ? parseRetryAfter(response.headers.get('retry-after')) : undefined;
  return failure(options, operation, kind, reason, status, retryAfterMs);
}

function kindForStatus(status: number): ProviderErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 408 || status >= 500) return 'transient';
  // Other 4xx, and 3xx (redirects are not followed): asking again will not change the answer.
  return 'permanent';
}

/** Retry-After is either delay-seconds or an HTTP date. */
function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function providerDetail(options: ProviderHttpOptions, text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const detail = options.describeError(body);
  return detail ? clean(options, detail) : undefined;
}

function classifyThrown(options: ProviderHttpOptions, operation: ProviderOperation, error: unknown, timeoutSignal: AbortSignal): ProviderError {
  if (timeoutSignal.aborted) {
    return failure(options, operation, 'timeout', `no response within ${options.timeoutMs} ms`);
  }
  return failure(options, operation, 'transient', `network error (${clean(options, networkCause(error))})`);
}

/**
 * undici reports "fetch failed" and hides the useful part (ECONNREFUSED, socket closed…) in `cause`.
 * Duck-typed: errors from fetch may come from another realm (jest), where `instanceof Error` is false.
 */
function networkCause(error: unknown): string {
  const cause = property(error, 'cause');
  const code = property(cause, 'code');
  const causeMessage = property(cause, 'message');
  if (typeof code === 'string' && typeof causeMessage === 'string' && !causeMessage.includes(code)) return `${code}: ${causeMessage}`;
  if (typeof causeMessage === 'string' && causeMessage) return causeMessage;
  if (typeof code === 'string') return code;
  const message = property(error, 'message');
  return typeof message === 'string' ? message : String(error);
}

function property(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' && name in value ? (value as Record<string, unknown>)[name] : undefined;
}

/** Provider text goes into logs and the admin UI: one line, bounded, and never the API key. */
function clean(options: ProviderHttpOptions, text: string): string {
  let result = text.replace(/\s+/g, ' ').trim();
  for (const secret of options.secrets) {
    if (secret) result = result.split(secret).join('[redacted]');
  }
  return result.length > MAX_DETAIL_LENGTH ? `${result.slice(0, MAX_DETAIL_LENGTH)}…` : result;
}

function failure(
  options: ProviderHttpOptions,
  operation: ProviderOperation,
  kind: ProviderErrorKind,
  reason: string,
  status?: number,
  retryAfterMs?: number,
): ProviderError {
  const message = `${PROVIDER_LABELS[options.provider]} ${operation} failed: ${reason}`;
  return new ProviderError(message, {
    provider: options.provider,
    operation,
    kind,
    ...(status === undefined ? {} : { status }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

function report(
  options: ProviderHttpOptions,
  operation: ProviderOperation,
  startedAt: number,
  outcome: Parameters<ProviderCallObserver>[0]['outcome'],
): void {
  try {
    options.onCall?.({ provider: options.provider, operation, durationMs: performance.now() - startedAt, outcome });
  } catch {
    // Metrics must never turn an accepted purchase into a failure the worker would retry.
  }
}
