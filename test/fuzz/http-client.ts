import net from 'node:net';

/** One request the fuzzer sends. */
export interface FuzzRequest {
  /** What the request is, for failure reports. */
  label: string;
  method: string;
  /** The request-target exactly as sent (already %-encoded where wanted). */
  path: string;
  headers: [string, string][];
  body?: Buffer;
  /** The whole request as bytes (malformed HTTP); method, path, headers and body are then for the report only. */
  bytes?: Buffer;
  /** Sends the request over a raw TCP socket byte for byte (fetch would refuse or normalise it). */
  raw?: boolean;
  /** Carries valid admin credentials: bull-board's HTML pages and assets may then answer non-JSON. */
  validAuth?: boolean;
}

export interface FuzzAnswer {
  /** null: the server closed the connection without an answer (acceptable for malformed HTTP only). */
  status: number | null;
  headers: Record<string, string>;
  body: Buffer;
  via: 'fetch' | 'raw';
  /** Transport failure (timeout, reset); a timeout means the server hung. */
  error?: string;
}

/** Header names fetch (undici) refuses or rewrites. */
const FETCH_REFUSES = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect', 'host', 'te', 'trailer', 'proxy-connection']);

/** Whether fetch would send the request unchanged; otherwise it goes over a raw socket. */
export function needsRaw(request: FuzzRequest): boolean {
  if (request.raw || request.bytes) return true;
  const method = request.method.toUpperCase();
  if (['CONNECT', 'TRACE', 'TRACK'].includes(method) || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(request.method)) return true;
  if ((method === 'GET' || method === 'HEAD') && request.body !== undefined) return true;
  // WHATWG URLs resolve dot segments, turn backslashes into slashes and drop fragments.
  if (/(^|\/)\.\.?(\/|$|\?)|%2e|\\|#|[^\x21-\x7e]/i.test(request.path) || !request.path.startsWith('/')) return true;
  for (const [name, value] of request.headers) {
    if (FETCH_REFUSES.has(name.toLowerCase()) || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return true;
    if (/[^\t\x20-\x7e\x80-\xff]/.test(value) || value !== value.trim()) return true;
  }
  return false;
}

/** Sends a request through fetch or a raw socket, whichever can carry it unchanged. */
export function send(baseUrl: string, request: FuzzRequest, timeoutMs: number): Promise<FuzzAnswer> {
  return needsRaw(request) ? sendRaw(baseUrl, request, timeoutMs) : sendFetch(baseUrl, request, timeoutMs);
}

async function sendFetch(baseUrl: string, request: FuzzRequest, timeoutMs: number): Promise<FuzzAnswer> {
  const headers = new Headers();
  for (const [name, value] of request.headers) headers.append(name, value);
  try {
    const res = await fetch(`${baseUrl}${request.path}`, {
      method: request.method,
      headers,
      body: request.body ? new Uint8Array(request.body) : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = Buffer.from(await res.arrayBuffer());
    const answerHeaders: Record<string, string> = {};
    res.headers.forEach((value, name) => (answerHeaders[name] = value));
    return { status: res.status, headers: answerHeaders, body, via: 'fetch' };
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return { status: null, headers: {}, body: Buffer.alloc(0), via: 'fetch', error: `${error instanceof Error ? error.name + ' ' + error.message : String(error)}${cause}` };
  }
}

/** The request as HTTP/1.1 bytes; `Connection: close` and `Host` are added unless the request names them. */
export function requestBytes(request: FuzzRequest, host: string): Buffer {
  if (request.bytes) return request.bytes;
  const names = new Set(request.headers.map(([name]) => name.toLowerCase()));
  const lines = [`${request.method} ${request.path} HTTP/1.1`];
  if (!names.has('host')) lines.push(`Host: ${host}`);
  if (!names.has('connection')) lines.push('Connection: close');
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  if (request.body && !names.has('content-length') && !names.has('transfer-encoding')) lines.push(`Content-Length: ${request.body.length}`);
  // latin1: header values are bytes; the fuzzer puts raw (also invalid UTF-8) bytes in them on purpose.
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), request.body ?? Buffer.alloc(0)]);
}

function sendRaw(baseUrl: string, request: FuzzRequest, timeoutMs: number): Promise<FuzzAnswer> {
  const url = new URL(baseUrl);
  const bytes = requestBytes(request, url.host);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = net.connect(Number(url.port), url.hostname);
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parseResponse(Buffer.concat(chunks)), via: 'raw', ...(error ? { error } : {}) });
    };
    const timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms (hang)`), timeoutMs);
    socket.on('connect', () => {
      // Half-close after the request: the server still answers (http.Server allows half-open sockets).
      socket.end(bytes);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => finish());
    socket.on('close', () => finish());
  });
}

/** Parses the final (non-1xx) HTTP response out of the bytes a socket received until it closed. */
export function parseResponse(data: Buffer): Omit<FuzzAnswer, 'via'> {
  let rest = data;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return { status: null, headers: {}, body: Buffer.alloc(0) };
    const head = rest.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1]);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let body = rest.subarray(end + 4);
    if (status >= 100 && status < 200) {
      rest = body;
      continue;
    }
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
    else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
    return { status: Number.isNaN(status) ? null : status, headers, body };
  }
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!size) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
