import http, { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
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

/**
 * An idle keep-alive connection is closed after this long (sooner when the provider's `Keep-Alive`
 * header asks), before a server's usual idle timeout could close it under a request we send on it.
 */
const IDLE_CONNECTION_MS = 4_000;

/** The connections of one adapter: kept alive between calls, never shared with other code. */
interface Connections {
  http: http.Agent;
  https: https.Agent;
}

/**
 * Builds the caller an adapter uses for all its HTTP. Node's http client, not fetch: a status call
 * or a buy costs the worker a third of the CPU fetch takes (see bench/NOTES.md), on the path from a
 * payment to its buy and on every poll.
 */
export function createJsonCaller(options: ProviderHttpOptions): JsonCaller {
  const agents: Connections = {
    http: new http.Agent({ keepAlive: true, timeout: IDLE_CONNECTION_MS }),
    https: new https.Agent({ keepAlive: true, timeout: IDLE_CONNECTION_MS }),
  };
  return (request) => callJson(options, agents, request);
}

/** A ProviderError raised before or without any HTTP call (bad input, missing configuration). */
export function permanentError(provider: ProviderName, operation: ProviderOperation, reason: string): ProviderError {
  return new ProviderError(`${PROVIDER_LABELS[provider]} ${operation} failed: ${reason}`, { provider, operation, kind: 'permanent' });
}

async function callJson<T>(options: ProviderHttpOptions, agents: Connections, request: JsonRequest<T>): Promise<T> {
  // A shutdown that already happened must not start a purchase.
  request.signal?.throwIfAborted();
  const url = buildUrl(options, request);
  const timeoutSignal = AbortSignal.timeout(options.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeoutSignal]) : timeoutSignal;
  const startedAt = performance.now();
  try {
    const value = await exchange(options, agents, request, url, signal);
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

/** A provider's answer, read whole. */
interface HttpAnswer {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  text: string;
}

async function exchange<T>(options: ProviderHttpOptions, agents: Connections, request: JsonRequest<T>, url: URL, signal: AbortSignal): Promise<T> {
  const body = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body));
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}),
    ...options.headers,
    ...request.headers,
  };
  // A redirect is never followed (Node's client does not): it would hand the API key to wherever it points.
  const answer = await send(url, { method: request.method, headers, signal, agent: url.protocol === 'https:' ? agents.https : agents.http }, body);
  if (answer.status < 200 || answer.status > 299) throw httpError(options, request.operation, answer);
  return parseBody(options, request, answer.status, answer.text);
}

/**
 * One request, its answer read whole. A connection lost before a 2xx answer was read rejects (the buy
 * may have gone through all the same); any other status stands even when its body was cut short, since
 * the status alone decides the kind and the body only adds the provider's explanation. A read sent on
 * a kept-alive connection the provider had already closed (reset before any answer) is sent once more
 * on a connection of its own, as Node's documentation advises (the pool's other idle ones may be as
 * stale). A buy is not: a provider may answer a repeat of a key still in flight with an error, and a
 * buy whose answer never came is looked for at the provider instead (obtain-purchase.ts).
 */
function send(url: URL, options: http.RequestOptions & { signal: AbortSignal }, body: Buffer | undefined, retried = false): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let answered: Omit<HttpAnswer, 'text'> | null = null;
    const fail = (error: Error) => (answered && (answered.status < 200 || answered.status > 299) ? resolve({ ...answered, text: '' }) : reject(error));
    const req = (url.protocol === 'https:' ? https : http).request(url, options, (res) => {
      answered = { status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers };
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ ...(answered as Omit<HttpAnswer, 'text'>), text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', fail);
      res.on('close', () => {
        if (!res.complete) fail(new Error('the connection closed before the answer was complete'));
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      const staleConnection = req.reusedSocket && !answered && !retried && error.code === 'ECONNRESET' && !options.signal.aborted;
      if (staleConnection && options.method === 'GET') send(url, { ...options, agent: false }, body, true).then(resolve, reject);
      else fail(error);
    });
    req.end(body);
  });
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

function httpError(options: ProviderHttpOptions, operation: ProviderOperation, answer: HttpAnswer): ProviderError {
  const status = answer.status;
  const statusText = answer.statusText || STATUS_CODES[status] || '';
  const detail = providerDetail(options, answer.text);
  const reason = `HTTP ${status}${statusText ? ` ${statusText}` : ''}${detail ? `: ${detail}` : ''}`;
  const kind = kindForStatus(status);
  const retryAfter = answer.headers['retry-after'];
  const retryAfterMs = kind === 'rate_limited' ? parseRetryAfter(typeof retryAfter === 'string' ? retryAfter : null) : undefined;
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
 * The useful part of a network error (ECONNREFUSED, socket closed…): the error's own, or its `cause`'s
 * where a wrapper hides it there. Duck-typed: errors may come from another realm (jest), where
 * `instanceof Error` is false.
 */
function networkCause(error: unknown): string {
  const source = property(error, 'cause') ?? error;
  const code = property(source, 'code');
  const message = property(source, 'message');
  if (typeof code === 'string' && typeof message === 'string' && !message.includes(code)) return `${code}: ${message}`;
  if (typeof message === 'string' && message) return message;
  if (typeof code === 'string') return code;
  return String(error);
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
