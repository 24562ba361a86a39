import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import type { FuzzRequest } from './http-client';

/**
 * Generators of malformed requests for every route. Every request they make is invalid in at least
 * one way that the API must reject (or, for reads, is harmless), so the database and the queue must
 * look the same after all of them as before.
 */

export interface FuzzContext {
  adminToken: string;
  webhookSecret: string;
  /** Seeded orders, by what they look like. */
  ids: { paid: string; pending: string; failed: string; active: string; cancelled: string; queued: string; stuck: string; hostycare: string };
  /** The webhook-id of an event already recorded. */
  knownWebhookId: string;
  /** A valid admin-page session cookie (`name=value`), when the API has the admin page's sign-in. */
  sessionCookie?: string;
}

/** body-parser's `100kb`. */
export const BODY_LIMIT = 100 * 1024;

const OBJECT_ID = /^[0-9a-f]{24}$/i;

const hex2 = (byte: number): string => byte.toString(16).toUpperCase().padStart(2, '0');

/** Percent-encodes every byte of the UTF-8 form that is not unreserved (lone surrogates become U+FFFD). */
export function pct(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9._~-]/.test(char) ? char : `%${hex2(byte)}`;
  }
  return out;
}

/** What Express would hand the route as the parameter, or null when the %-escapes are malformed. */
function decoded(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

const INTERESTING = [
  '',
  ' ',
  'null',
  'undefined',
  'NaN',
  '-1',
  '0',
  '1e309',
  '0x1F',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '$where',
  '$gt',
  '{"$gt":""}',
  '[object Object]',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '\u0000',
  '\uFEFF',
  '\u202E',
  '\u{1D54F}',
  '\uD800',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '${7*7}',
  '{{7*7}}',
  'A'.repeat(3000),
];

const junkString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...INTERESTING),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
);

/** Bytes as %-escapes: any byte, so also invalid UTF-8 and encoded slashes, NULs and dots. */
const escapedBytes = fc.uint8Array({ minLength: 1, maxLength: 24 }).map((bytes) => [...bytes].map((b) => `%${hex2(b)}`).join(''));

const LATIN1_JUNK = ['x'.repeat(9000), '\t', 'a\x7fb', 'é', '\xff\xfe', '"', ',,,', ';', '=', 'a=b; c', '*/*'];

export const ADMIN_METHODS_SAFE = ['GET', 'HEAD'] as const;
const ODD_METHODS = ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'SEARCH', 'QUERY', 'PURGE', 'LINK', 'MKCOL', 'M-SEARCH', 'LOCK', 'COPY', 'REPORT', 'SUBSCRIBE'];

function header(name: string, value: string): [string, string] {
  return [name, value];
}

/** Builds every arbitrary for one seeded set of orders. */
export function fuzzArbitraries(ctx: FuzzContext) {
  const T = ctx.adminToken;
  const webhook = new Webhook(ctx.webhookSecret);
  const otherWebhook = new Webhook(`whsec_${Buffer.from('not-the-secret-at-all').toString('base64')}`);
  const allIds = Object.values(ctx.ids);
  const existingId = fc.constantFrom(...allIds);
  const anyValidId = fc.oneof(existingId, fc.uint8Array({ minLength: 12, maxLength: 12 }).map((b) => Buffer.from(b).toString('hex')));

  const validAuth = fc.constantFrom(`Bearer ${T}`, `bearer ${T}`, `BEARER ${T}`, `Bearer   ${T}`);
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  /** Authorization values the order routes must refuse (401 or 403). */
  const badAuth: fc.Arbitrary<string | null> = fc.oneof(
    fc.constantFrom<string | null>(
      null,
      '',
      'Bearer',
      'Bearer ',
      `Token ${T}`,
      basic('admin', T),
      basic('', ''),
      'Basic !!!not-base64!!!',
      'Basic ' + Buffer.from('no-colon').toString('base64'),
      `Bearer ${T} extra`,
      `Bearer\t${T}`,
      'Digest username="admin", realm="x", nonce="y", response="z"',
      T,
      `Bearer ${T}x`,
      `Bearer ${T.toUpperCase()}`,
      `Bearer ${T.slice(0, -1)}`,
      `Bearer ${'a'.repeat(8000)}`,
      'Bearer null',
      'Bearer undefined',
      `Bearer ${T},${T}`,
      `Bearer "${T}"`,
      `Bearer ${Buffer.from(T).toString('base64')}`,
      'Negotiate YII=',
      'AWS4-HMAC-SHA256 Credential=x',
    ),
    junkString.map((value) => `Bearer ${value}`).filter((value) => value.trim() !== `Bearer ${T}`),
  );
  /** Bull-board also takes Basic with the token as password. */
  const boardValidValues = [`Bearer ${T}`, `bearer ${T}`, `BEARER ${T}`, `Bearer   ${T}`, basic('ops', T), basic('', T), basic('a:b', T)];
  const boardValidAuth = fc.constantFrom(...boardValidValues);

  // ---- malformed order ids ----
  const mutatedId = existingId.chain((id) =>
    fc.constantFrom(
      `${id}x`,
      id.slice(0, 23),
      `${id}0`,
      `${id}%00`,
      `${id}%20`,
      `%20${id}`,
      `${id}%0A`,
      `${id}%2F`,
      `${id}%3F`,
      `${id}%23`,
      `${id}.json`,
      `${id};jsessionid=1`,
      `${id.slice(0, 23)}g`,
      `${id.slice(0, 23)}%C0%AF`,
      `${id}%E2%80%8B`,
      `${pct('０')}${id.slice(1)}`,
      `${id}%`,
      `${id}%ZZ`,
      `${id}%2e%2e`,
      `ObjectId(%22${id}%22)`,
    ),
  );
  const badIdSegment: fc.Arbitrary<string> = fc
    .oneof(
      { weight: 3, arbitrary: mutatedId },
      { weight: 2, arbitrary: junkString.map(pct) },
      { weight: 1, arbitrary: escapedBytes },
      { weight: 1, arbitrary: fc.constantFrom('..', '.', '%2e%2e', '..%2F..%2Fetc%2Fpasswd', '%', '%%', '%ZZ', '%C0%AF', '%E0%A4%A', '%F0%9F', 'a'.repeat(20_000), '%7B%22%24gt%22%3A%22%22%7D', '%24ne') },
    )
    .filter((segment) => segment !== '' && !segment.includes('/') && !segment.includes('?') && !segment.includes('#'))
    .filter((segment) => {
      const value = decoded(segment);
      return value === null || !OBJECT_ID.test(value);
    });

  const noBodyOrEmptyObject = fc.constantFrom<'none' | 'empty-object'>('none', 'empty-object');
  const withOptionalEmptyBody = (request: FuzzRequest, kind: 'none' | 'empty-object'): FuzzRequest =>
    kind === 'none' ? request : { ...request, headers: [...request.headers, header('Content-Type', 'application/json')], body: Buffer.from('{}') };

  const provisionBadId = fc.tuple(badIdSegment, validAuth, noBodyOrEmptyObject).map(([segment, auth, kind]) =>
    withOptionalEmptyBody({ label: 'provision: malformed id', method: 'POST', path: `/api/orders/${segment}/provision`, headers: [header('Authorization', auth)], validAuth: true }, kind),
  );
  const getBadId = fc.tuple(badIdSegment, validAuth, fc.constantFrom('GET', 'HEAD')).map(([segment, auth, method]) => ({
    label: 'order view: malformed id',
    method,
    path: `/api/orders/${segment}`,
    headers: [header('Authorization', auth)],
    validAuth: true,
  }));

  // ---- malformed provision bodies (valid credentials, real orders) ----
  const deepArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const deepObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  const padded = (size: number) => {
    const prefix = '{"pad":"';
    return Buffer.from(prefix + 'x'.repeat(Math.max(0, size - prefix.length - 2)) + '"}');
  };
  /** Request bodies that are never a valid provision body (which is none, or `{}`). */
  const invalidJsonBody: fc.Arbitrary<Buffer> = fc.oneof(
    fc
      .constantFrom(
        '{',
        '}',
        '{"a":',
        '[1,2',
        'nul',
        '{"a":1,}',
        "{'a':1}",
        '{"a":NaN}',
        '{"a":Infinity}',
        '\u0000',
        '   ',
        '\n\t',
        '[]',
        '[{}]',
        'null',
        'true',
        '0',
        '"x"',
        '{"a":1}',
        '{"__proto__":{"polluted":true}}',
        '{"constructor":{"prototype":{"polluted":true}}}',
        '{"__proto__":null}',
        '{"":""}',
        '{"force":true}',
        '{"$set":{"status":"active"}}',
        '{"orderId":"000000000000000000000000"}',
        '{}{}',
        '{} x',
        '\uFEFF{"a":1}',
        '{"a":"\uD800"}',
        '{"a":1e999999}',
        '{"a":' + '9'.repeat(5000) + '}',
      )
      .map((text) => Buffer.from(text)),
    fc.integer({ min: 100, max: 20_000 }).map((depth) => Buffer.from(deepArray(depth))),
    fc.integer({ min: 100, max: 20_000 }).map((depth) => Buffer.from(deepObject(depth))),
    fc.constantFrom(BODY_LIMIT - 1, BODY_LIMIT, BODY_LIMIT + 1, BODY_LIMIT * 3, 1_000_000).map(padded),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.concat([Buffer.from('{"a":"'), Buffer.from(bytes), Buffer.from('"}')])),
    fc.json({ maxDepth: 3 }).filter((text) => text !== '{}').map((text) => Buffer.from(text)),
  );
  const jsonContentType = fc.constantFrom<string | null>(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'application/json; charset=utf-32',
    'application/json; charset=latin1',
    'application/json; charset=utf-7',
    'application/json; charset="bogus"',
    'application/json;charset=',
    'application/json; charset=utf-8; charset=latin1',
    'text/plain',
    'text/json',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=----x',
    'application/vnd.api+json',
    'application/merge-patch+json',
    'APPLICATION/JSON',
    '*/*',
    'application/*',
    'application/json, text/html',
    'json',
    '',
    ';;;',
    null,
  );
  const contentEncoding = fc.constantFrom<string | null>(null, null, null, 'gzip', 'deflate', 'br', 'identity', 'gzip, deflate', 'x-bogus', 'GZIP', 'compress');

  const provisionBadBody = fc
    .tuple(anyValidId, validAuth, invalidJsonBody, jsonContentType, contentEncoding, fc.boolean())
    .map(([id, auth, body, contentType, encoding, reallyCompress]) => {
      const headers: [string, string][] = [header('Authorization', auth)];
      if (contentType !== null) headers.push(header('Content-Type', contentType));
      let payload = body;
      if (encoding !== null) {
        headers.push(header('Content-Encoding', encoding));
        if (reallyCompress && encoding === 'gzip') payload = gzipSync(body);
      }
      return { label: `provision: malformed body (${encoding ?? 'plain'}, ${contentType ?? 'no content type'})`, method: 'POST', path: `/api/orders/${id}/provision`, headers, body: payload, validAuth: true };
    });

  /** A gzip body that inflates past the limit: 413, not a full inflate into memory. */
  const provisionGzipBomb = fc.tuple(existingId, fc.constantFrom(BODY_LIMIT + 1, 2_000_000, 20_000_000)).map(([id, size]) => ({
    label: `provision: gzip bomb inflating to ${size} bytes`,
    method: 'POST',
    path: `/api/orders/${id}/provision`,
    headers: [header('Authorization', `Bearer ${T}`), header('Content-Type', 'application/json'), header('Content-Encoding', 'gzip')],
    body: gzipSync(padded(size)),
    validAuth: true,
  }));

  // ---- order list query strings ----
  const queryKey = fc.oneof(
    fc.constantFrom(
      'status',
      'provisioningStatus',
      'provider',
      'limit',
      'cursor',
      '__proto__',
      '__proto__[polluted]',
      'constructor[prototype][polluted]',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      'status[]',
      'status[$ne]',
      'limit[$gt]',
      'a[b][c][d]',
      'filter',
      '',
      'STATUS',
    ),
    junkString,
  );
  const queryValue = fc.oneof(
    fc.constantFrom('paid', 'active', 'failed', 'queued', 'smartvps', 'hostycare', '1', '100', '101', '0', '-1', '1.5', '1e2', '1e400', 'Infinity', 'NaN', '0x10', ' 5', '5 ', '', 'AAAAAAAAAAAAAAAA', 'AAAA', '+/+/+/+/+/+/+/+/', '..%2F..', '%', '%ZZ', '%C0%AF'),
    junkString,
  );
  const encodePart = (value: string, raw: boolean) => (raw ? value.replace(/[&#\s]/g, (c) => pct(c)) : pct(value));
  const listQuery = fc.oneof(
    fc.tuple(fc.array(fc.tuple(queryKey, queryValue, fc.boolean()), { minLength: 1, maxLength: 8 })).map(([pairs]) => pairs.map(([k, v, raw]) => `${encodePart(k, raw)}=${encodePart(v, raw)}`).join('&')),
    fc.constantFrom(
      'status',
      '=',
      '&&&',
      '%',
      'limit=%ZZ',
      'status=paid&status=active',
      'limit=1&limit=2',
      'status[$ne]=active',
      `cursor=${'A'.repeat(16)}&cursor=${'B'.repeat(16)}`,
      'a=1&'.repeat(1500),
      `x=${'y'.repeat(15_000)}`,
      `x=${'y'.repeat(20_000)}`,
      'limit=' + '9'.repeat(400),
      'provider=smartvps%00',
      'status=paid%26provider%3Dhostycare',
      '__proto__=x&constructor=y',
    ),
  );
  const listBadQuery = fc.tuple(listQuery, validAuth).map(([query, auth]) => ({
    label: 'order list: odd query string',
    method: 'GET',
    path: `/api/orders?${query}`,
    headers: [header('Authorization', auth)],
    validAuth: true,
  }));

  // ---- webhooks ----
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const event = (orderId: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ type: 'payment.succeeded', data: { orderId, amount: 10, currency: 'EUR' }, ...extra });
  const webhookHeaders = (id: string, timestamp: string, signature: string, contentType = 'application/json'): [string, string][] => [
    header('Content-Type', contentType),
    header('webhook-id', id),
    header('webhook-timestamp', timestamp),
    header('webhook-signature', signature),
  ];
  const freshWebhookId = fc.oneof(
    fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => `msg_${Buffer.from(b).toString('hex')}`),
    fc.constant(ctx.knownWebhookId),
    junkString.filter((s) => s.trim() !== '' && !/[^\x20-\x7e]/.test(s) && s === s.trim()),
  );

  /** A well-formed, would-be-accepted payment for a real order, with one thing wrong in its signature headers. */
  const webhookBadSignature = fc
    .tuple(fc.constantFrom(ctx.ids.pending, ctx.ids.paid, ctx.ids.failed, ctx.ids.stuck), freshWebhookId, fc.integer({ min: 0, max: 25 }), fc.string({ maxLength: 20 }))
    .map(([orderId, id, defect, junk]): FuzzRequest => {
      const body = event(orderId);
      const at = new Date();
      const ts = String(Math.floor(at.getTime() / 1000));
      const good = webhook.sign(id, at, body);
      const goodB64 = good.slice(3);
      const flip = (s: string) => s.slice(0, 5) + (s[5] === 'A' ? 'B' : 'A') + s.slice(6);
      const cases: [string, [string, string][], string?][] = [
        ['no signature headers', [header('Content-Type', 'application/json')]],
        ['no webhook-id', webhookHeaders(id, ts, good).filter(([n]) => n !== 'webhook-id')],
        ['no webhook-timestamp', webhookHeaders(id, ts, good).filter(([n]) => n !== 'webhook-timestamp')],
        ['no webhook-signature', webhookHeaders(id, ts, good).filter(([n]) => n !== 'webhook-signature')],
        ['empty signature', webhookHeaders(id, ts, '')],
        ['wrong secret', webhookHeaders(id, ts, otherWebhook.sign(id, at, body))],
        ['signature of another body', webhookHeaders(id, ts, webhook.sign(id, at, event(ctx.ids.active)))],
        ['signature of another id', webhookHeaders(id, ts, webhook.sign(`${id}x`, at, body))],
        ['signature of another second', webhookHeaders(id, ts, webhook.sign(id, new Date(at.getTime() - 1000), body))],
        ['version v2', webhookHeaders(id, ts, `v2,${goodB64}`)],
        ['no version', webhookHeaders(id, ts, goodB64)],
        ['space, not comma', webhookHeaders(id, ts, `v1 ${goodB64}`)],
        ['one character flipped', webhookHeaders(id, ts, `v1,${flip(goodB64)}`)],
        ['truncated', webhookHeaders(id, ts, good.slice(0, -4))],
        ['upper-cased', webhookHeaders(id, ts, `v1,${goodB64.toUpperCase()}`)],
        ['v1, empty', webhookHeaders(id, ts, 'v1,')],
        ['huge garbage', webhookHeaders(id, ts, `v1,${'A'.repeat(8000)}`)],
        ['many wrong signatures', webhookHeaders(id, ts, Array.from({ length: 100 }, (_, i) => `v1,${flip(goodB64)}${i}`).join(' '))],
        ['junk signature', webhookHeaders(id, ts, `v1,${Buffer.from(junk).toString('base64')}`)],
        ['signed, then body changed', webhookHeaders(id, ts, good), `${body} `],
        ['signed, then body changed (newline)', webhookHeaders(id, ts, good), `${body}\n`],
        ['too old', webhookHeaders(id, String(nowSeconds() - 301), webhook.sign(id, new Date((nowSeconds() - 301) * 1000), body))],
        ['a day old', webhookHeaders(id, String(nowSeconds() - 86_400), webhook.sign(id, new Date((nowSeconds() - 86_400) * 1000), body))],
        ['too new', webhookHeaders(id, String(nowSeconds() + 400), webhook.sign(id, new Date((nowSeconds() + 400) * 1000), body))],
        ['timestamp not a number', webhookHeaders(id, junk.replace(/[0-9\s]/g, '') || 'abc', good)],
        ['timestamp zero', webhookHeaders(id, '0', webhook.sign(id, new Date(0), body))],
      ];
      const [what, headers, sentBody] = cases[defect % cases.length] as (typeof cases)[number];
      return { label: `webhook: ${what}`, method: 'POST', path: '/api/webhooks/payments', headers, body: Buffer.from(sentBody ?? body) };
    });

  /** Payloads no event schema accepts (or that are ignored), signed correctly. */
  const invalidEventPayload: fc.Arbitrary<Buffer> = fc.oneof(
    fc
      .constantFrom(
        '',
        '{',
        'null',
        'true',
        '1',
        '"payment.succeeded"',
        '[]',
        '{}',
        '{"type":1}',
        '{"type":""}',
        '{"type":null}',
        '{"type":["payment.succeeded"]}',
        '{"type":"payment.succeeded"}',
        '{"type":"payment.succeeded","data":null}',
        '{"type":"payment.succeeded","data":[]}',
        '{"type":"payment.succeeded","data":"x"}',
        '{"type":"payment.succeeded","data":{}}',
        '{"__proto__":{"type":"payment.succeeded"},"data":{}}',
        '{"type":"payment.succeeded","data":{"__proto__":{"orderId":"000000000000000000000000"}}}',
        '{"type":"payment.succeeded","data":{"orderId":{"$gt":""}}}',
        '{"type":"payment.succeeded","data":{"orderId":{"$ne":null}}}',
        '{"type":"payment.succeeded","data":{"orderId":["000000000000000000000000"]}}',
        '{"type":"payment.succeeded","data":{"orderId":123456789012345678901234}}',
        '{"type":"payment.succeeded","data":{"orderId":null}}',
        '{"type":"payment.succeeded ","data":{}}',
        '{"type":"PAYMENT.SUCCEEDED","data":{}}',
        '{"type":"payment.refunded","data":{"orderId":"x"}}',
      )
      .map((text) => Buffer.from(text)),
    fc.tuple(existingId, fc.constantFrom<Record<string, unknown>>({ amount: 'ten' }, { amount: null }, { amount: [1] }, { currency: 1 }, { currency: {} }, { amount: '1e3' })).map(([orderId, data]) =>
      Buffer.from(JSON.stringify({ type: 'payment.succeeded', data: { orderId, ...data } })),
    ),
    badIdSegment.map((segment) => Buffer.from(event(decoded(segment) ?? segment))).filter((b) => !OBJECT_ID.test(String((JSON.parse(b.toString()) as { data: { orderId: unknown } }).data.orderId))),
    fc.integer({ min: 100, max: 20_000 }).map((depth) => Buffer.from(deepArray(depth))),
    fc.integer({ min: 100, max: 15_000 }).map((depth) => Buffer.from(`{"type":"payment.succeeded","data":${deepObject(depth)}}`)),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.concat([Buffer.from('{"type":"payment.succeeded","data":{"orderId":"'), Buffer.from(bytes), Buffer.from('"}}')])),
    fc.constantFrom(BODY_LIMIT - 1, BODY_LIMIT).map((size) => {
      const base = '{"type":"payment.succeeded","data":{"orderId":"not-an-id"},"pad":"';
      return Buffer.from(base + 'x'.repeat(size - base.length - 2) + '"}');
    }),
    fc.json({ maxDepth: 3 }).filter((text) => !text.includes('payment.succeeded')).map((text) => Buffer.from(text)),
  );

  const webhookSignedBadPayload = fc
    .tuple(freshWebhookId, invalidEventPayload, fc.constantFrom<string | null>('application/json', 'text/plain', 'application/octet-stream', 'application/json; charset=utf-16', null), fc.constantFrom<string | null>(null, null, null, 'gzip', 'x-bogus', 'deflate'))
    .map(([id, payload, contentType, encoding]): FuzzRequest => {
      const at = new Date();
      const headers = webhookHeaders(id, String(Math.floor(at.getTime() / 1000)), webhook.sign(id, at, payload)).filter(([n]) => contentType !== null || n !== 'Content-Type');
      if (contentType !== null) headers[0] = header('Content-Type', contentType);
      if (encoding !== null) headers.push(header('Content-Encoding', encoding));
      return { label: `webhook: signed, malformed payload (${encoding ?? 'plain'})`, method: 'POST', path: '/api/webhooks/payments', headers, body: payload };
    });

  /** Over the limit: 413 before anything is verified, whether signed or not. */
  const webhookOversized = fc.tuple(fc.constantFrom(BODY_LIMIT + 1, BODY_LIMIT * 2, 1_500_000), fc.boolean()).map(([size, sign]): FuzzRequest => {
    const base = event(ctx.ids.pending, { pad: '' }).slice(0, -2);
    const body = base + 'x'.repeat(Math.max(0, size - base.length - 2)) + '"}';
    const at = new Date();
    const headers = sign ? webhookHeaders('msg_oversized', String(Math.floor(at.getTime() / 1000)), webhook.sign('msg_oversized', at, body)) : [header('Content-Type', 'application/json')];
    return { label: `webhook: ${size} bytes${sign ? ', signed' : ''}`, method: 'POST', path: '/api/webhooks/payments', headers, body: Buffer.from(body) };
  });

  // ---- credentials ----
  const authTargets = fc.constantFrom(
    { method: 'GET', path: '/api/orders', board: false, body: false },
    { method: 'GET', path: `/api/orders/${ctx.ids.paid}`, board: false, body: false },
    { method: 'POST', path: `/api/orders/${ctx.ids.paid}/provision`, board: false, body: true },
    { method: 'POST', path: `/api/orders/${ctx.ids.failed}/provision`, board: false, body: false },
    { method: 'POST', path: `/api/orders/${ctx.ids.stuck}/provision`, board: false, body: true },
    { method: 'GET', path: '/admin/queues', board: true, body: false },
    { method: 'GET', path: '/admin/queues/api/queues', board: true, body: false },
    { method: 'PUT', path: '/admin/queues/api/queues/provision/pause', board: true, body: false },
    { method: 'POST', path: '/admin/queues/api/queues/provision/add', board: true, body: true },
  );
  const authDefect = fc.tuple(authTargets, badAuth).map(([target, auth]): FuzzRequest => {
    // For bull-board, Basic with the token as password is valid: use a wrong password instead.
    const value = target.board && auth === basic('admin', T) ? basic('admin', `${T}-wrong`) : auth;
    const headers: [string, string][] = value === null ? [] : [header('Authorization', value)];
    const request: FuzzRequest = { label: `auth: ${value === null ? 'none' : 'bad credentials'} on ${target.method} ${target.path}`, method: target.method, path: target.path, headers };
    if (!target.body) return request;
    const body = target.path.endsWith('/add') ? JSON.stringify({ name: 'provision-order', data: { orderId: ctx.ids.paid, reason: 'admin', requestedAt: new Date().toISOString() } }) : '{}';
    return { ...request, headers: [...headers, header('Content-Type', 'application/json')], body: Buffer.from(body) };
  });
  /** Node keeps the first of duplicated Authorization headers: a wrong one first must win. */
  const duplicatedAuth = fc.tuple(authTargets.filter((t) => !t.board), badAuth.filter((a): a is string => a !== null && /^[\x20-\x7e]*$/.test(a))).map(([target, auth]): FuzzRequest => ({
    label: `auth: duplicated Authorization (bad first) on ${target.method} ${target.path}`,
    method: target.method,
    path: target.path,
    headers: [header('Authorization', auth), header('Authorization', `Bearer ${T}`), ...(target.body ? [header('Content-Type', 'application/json')] : [])],
    ...(target.body ? { body: Buffer.from('{}') } : {}),
    raw: true,
  }));

  // ---- the admin page's session: forged cookies, and a real one without the CSRF header ----
  const cookieName = ctx.sessionCookie?.split('=')[0] ?? 'vps_admin_session';
  const forgedCookie = fc.oneof(
    fc.constantFrom('', 'v1', 'v1..', `v1.99999999999.${'A'.repeat(43)}`, `v1.1.${'A'.repeat(43)}`, `v2.99999999999.${'A'.repeat(43)}`, `v1.-1.${'A'.repeat(43)}`, T, `v1.99999999999.${'A'.repeat(4000)}`),
    junkString.map((value) => value.replace(/[;\r\n\0]/g, '')),
  );
  const sessionDefect = fc.tuple(authTargets.filter((t) => !t.board), forgedCookie, fc.boolean()).map(([target, value, csrf]): FuzzRequest => {
    // A real session cookie on an unsafe method without the CSRF header, or a forged one with it.
    const real = ctx.sessionCookie !== undefined && target.method === 'POST' && !csrf;
    const headers: [string, string][] = [header('Cookie', real ? (ctx.sessionCookie as string) : `${cookieName}=${value}`)];
    if (csrf) headers.push(header('X-Requested-With', 'vps-admin'));
    if (target.body) headers.push(header('Content-Type', 'application/json'));
    return { label: `session: ${real ? 'real cookie without CSRF header' : 'forged cookie'} on ${target.method} ${target.path}`, method: target.method, path: target.path, headers, ...(target.body ? { body: Buffer.from('{}') } : {}) };
  });
  const signInBody = fc.oneof(
    fc.constantFrom('{', '[]', 'null', '{"token":""}', '{"token":1}', '{"token":null}', `{"token":"${T}x"}`, `{"token":"${T}","extra":1}`, `{"token":["${T}"]}`, '{"__proto__":{"token":"x"}}', `{"token":"${'x'.repeat(3000)}"}`),
    fc.json({ maxDepth: 2 }).filter((text) => !text.includes(T)),
  );
  const signIn = fc.tuple(signInBody, fc.constantFrom<string | null>('application/json', 'text/plain', null, 'application/x-www-form-urlencoded')).map(([body, contentType]): FuzzRequest => ({
    label: `admin page sign-in: malformed (${contentType ?? 'no content type'})`,
    method: 'POST',
    path: '/admin/session',
    headers: contentType ? [header('Content-Type', contentType)] : [],
    body: Buffer.from(body),
  }));

  // ---- routes that do not exist, and methods routes do not take ----
  const unknownPath = fc.oneof(
    fc.constantFrom(
      '/',
      '/api',
      '/api/',
      '/api/orders/x/y',
      `/api/orders/${ctx.ids.paid}/provision/extra`,
      `/api/orders/${ctx.ids.failed}/retry`,
      '/api/webhooks',
      '/api/webhooks/payments/x',
      '/api/openapi.yaml',
      '/admin',
      '/.env',
      '/.git/config',
      '/favicon.ico',
      '/robots.txt',
      '/server-status',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2fetc%2fpasswd',
      '/static/../../package.json',
      '/api/orders/../../../etc/passwd',
      '/../../../../etc/passwd',
      '//api//orders',
      '/api;/orders',
      '/api/orders%00',
      '/%00',
      '/%',
      '/\\..\\..\\windows\\win.ini',
      '/healthz/../metrics',
      '/metrics/x',
      '/readyz/../../',
      '/api/openapi.json/..',
      '/' + 'a/'.repeat(2000),
    ),
    fc.array(junkString.map(pct), { minLength: 1, maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
    fc.array(escapedBytes, { minLength: 1, maxLength: 3 }).map((parts) => `/${parts.join('/')}`),
  );
  const unknownRoute = fc.tuple(unknownPath, fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND'), fc.option(validAuth)).map(([path, method, auth]): FuzzRequest => ({
    label: `unknown route ${method}`,
    method,
    path,
    headers: auth ? [header('Authorization', auth)] : [],
    validAuth: auth !== null,
    ...(method === 'POST' || method === 'PUT' || method === 'PATCH' ? { body: Buffer.from('{"a":1}') } : {}),
  }));
  const knownRoute = fc.constantFrom(
    '/api/orders',
    `/api/orders/${ctx.ids.paid}`,
    `/api/orders/${ctx.ids.paid}/provision`,
    `/api/orders/${ctx.ids.failed}/provision`,
    '/api/webhooks/payments',
    '/healthz',
    '/readyz',
    '/metrics',
    '/api/openapi.json',
  );
  /** A method the route does not take (never the route's own: POST provision stays out). */
  const oddMethod = fc.tuple(knownRoute, fc.constantFrom(...ODD_METHODS, 'GET', 'POST'), fc.option(validAuth)).filter(([path, method]) => {
    if (method === 'POST') return !path.endsWith('/provision') && path !== '/api/webhooks/payments';
    if (method === 'GET' || method === 'HEAD') return path.endsWith('/provision') || path === '/api/webhooks/payments';
    return true;
  }).map(([path, method, auth]): FuzzRequest => ({ label: `method ${method} on ${path}`, method, path, headers: auth ? [header('Authorization', auth)] : [], validAuth: auth !== null }));

  // ---- public routes with odd queries, bodies and headers ----
  const publicOdd = fc
    .tuple(fc.constantFrom('/healthz', '/readyz', '/metrics', '/api/openapi.json', '/HEALTHZ', '/healthz/', '/Metrics'), fc.option(listQuery), fc.option(invalidJsonBody), fc.constantFrom('GET', 'HEAD'))
    .map(([path, query, body, method]): FuzzRequest => ({
      label: `public route ${method} ${path} with odd input`,
      method,
      path: query ? `${path}?${query}` : path,
      headers: body ? [header('Content-Type', 'application/json')] : [],
      ...(body ? { body } : {}),
    }));

  // ---- bull-board ----
  const boardPath = fc.oneof(
    fc.constantFrom(
      '/admin/queues',
      '/admin/queues/',
      '/admin/queues/queue/provision',
      '/admin/queues/queue/%00',
      '/admin/queues/queue/provision/%2e%2e',
      '/admin/queues/metrics-history',
      '/admin/queues/api/queues',
      '/admin/queues/api/redis/stats',
      '/admin/queues/api/job-schedulers',
      '/admin/queues/api/queues/provision/metrics',
      '/admin/queues/api/queues/provision/workers',
      '/admin/queues/api/queues/provision/default-job-options',
      '/admin/queues/api/queues/provision/job-data-schema',
      '/admin/queues/api/queues/provision/rate-limit',
      '/admin/queues/static/../../../../package.json',
      '/admin/queues/static/%2e%2e/%2e%2e/%2e%2e/package.json',
      '/admin/queues/static/..%2f..%2f..%2fpackage.json',
      '/admin/queues/static/',
      '/admin/queues/static/nope.js',
      '/admin/queues/api/metrics/history',
      '/admin/queues/api/metrics/latency',
    ),
    fc.tuple(junkString.map(pct), junkString.map(pct)).map(([queue, job]) => `/admin/queues/api/queues/${queue || 'x'}/${job || 'y'}`),
    junkString.map(pct).map((job) => `/admin/queues/api/queues/provision/${job || 'z'}`),
    junkString.map(pct).map((job) => `/admin/queues/api/queues/provision/${job || 'z'}/logs`),
    junkString.map(pct).map((job) => `/admin/queues/api/queues/provision/${job || 'z'}/flow`),
    fc.tuple(queryValue, queryValue, queryValue, queryValue).map(([q, s, p, n]) => `/admin/queues/api/queues?activeQueue=${pct(q)}&status=${pct(s)}&page=${pct(p)}&jobsPerPage=${pct(n)}`),
    fc.tuple(queryValue, queryValue).map(([a, b]) => `/admin/queues/api/metrics/history?from=${pct(a)}&to=${pct(b)}`),
  );
  const boardRead = fc.tuple(boardPath, fc.oneof(boardValidAuth.map((a): string | null => a), badAuth)).map(([path, auth]): FuzzRequest => {
    const valid = auth !== null && boardValidValues.includes(auth);
    const value = auth === basic('admin', T) ? basic('admin', `${T}-wrong`) : auth;
    return { label: `bull-board GET ${valid ? 'with' : 'without'} valid credentials`, method: 'GET', path, headers: value === null ? [] : [header('Authorization', value)], validAuth: valid };
  });
  /** Mutations bull-board offers, aimed at things that do not exist or with malformed input: nothing may change. */
  const boardMutation = fc.tuple(
    fc.oneof(
      junkString.map(pct).filter((q) => q !== 'provision' && q !== '').map((queue) => ({ method: 'PUT', path: `/admin/queues/api/queues/${queue}/pause`, body: undefined as string | undefined })),
      junkString.map(pct).filter((q) => q !== 'provision' && q !== '').map((queue) => ({ method: 'PUT', path: `/admin/queues/api/queues/${queue}/empty`, body: undefined as string | undefined })),
      junkString.map(pct).filter((q) => q !== 'provision' && q !== '').map((queue) => ({ method: 'POST', path: `/admin/queues/api/queues/${queue}/add`, body: '{"name":"x","data":{}}' as string | undefined })),
      fc.constantFrom('{', '[', 'null', '"x"', '{"name":', '{"a":1,}').map((body) => ({ method: 'POST', path: '/admin/queues/api/queues/provision/add', body: body as string | undefined })),
      junkString.map(pct).filter((j) => j !== '').map((job) => ({ method: 'PUT', path: `/admin/queues/api/queues/provision/${job}/retry`, body: undefined as string | undefined })),
      junkString.map(pct).filter((j) => j !== '').map((job) => ({ method: 'PUT', path: `/admin/queues/api/queues/provision/${job}/promote`, body: undefined as string | undefined })),
      junkString.map(pct).filter((j) => j !== '').map((job) => ({ method: 'PATCH', path: `/admin/queues/api/queues/provision/${job}/update-data`, body: '{"data":{"orderId":"x"}}' as string | undefined })),
      junkString.map(pct).map((status) => ({ method: 'PUT', path: `/admin/queues/api/queues/provision/clean/${status || 'bogus'}x`, body: undefined as string | undefined })),
    ),
    boardValidAuth,
  ).map(([target, auth]): FuzzRequest => ({
    label: `bull-board ${target.method} (nothing to act on)`,
    method: target.method,
    path: target.path,
    headers: [header('Authorization', auth), ...(target.body !== undefined ? [header('Content-Type', 'application/json')] : [])],
    ...(target.body !== undefined ? { body: Buffer.from(target.body) } : {}),
    validAuth: true,
  }));

  // ---- odd, duplicated and oversized headers on top of any request ----
  const noiseHeader: fc.Arbitrary<[string, string][]> = fc.oneof(
    fc.constantFrom<[string, string][]>(
      [header('X-Forwarded-For', '999.999.999.999, ::ffff:1.2.3.4, unknown')],
      [header('X-Forwarded-Proto', 'gopher')],
      [header('X-Forwarded-Host', 'evil.example')],
      [header('Accept', '*/*;q=junk')],
      [header('Accept', 'text/html')],
      [header('Accept-Encoding', 'gzip;q=2, br, *, x-bogus')],
      [header('Accept-Charset', 'utf-7')],
      [header('Accept-Language', 'x'.repeat(2000))],
      [header('Cookie', `a=${'b'.repeat(4000)}; __proto__=1`)],
      [header('User-Agent', '() { :; }; echo vulnerable')],
      [header('Referer', 'javascript:alert(1)')],
      [header('Origin', 'null')],
      [header('X-HTTP-Method-Override', 'DELETE')],
      [header('X-Method-Override', 'PUT')],
      [header('If-None-Match', '*')],
      [header('If-Modified-Since', 'not a date')],
      [header('Range', 'bytes=0-0,-1,5-2')],
      [header('Forwarded', 'for=unknown;proto=ftp')],
      [header('X-Request-Id', 'x'.repeat(200))],
      [header('Content-MD5', 'junk')],
      [header('Via', '1.1 evil')],
      [header('__proto__', 'polluted')],
      [header('constructor', 'x')],
      [header('X-Fuzz', 'a'), header('x-fuzz', 'b'), header('X-FUZZ', 'c')],
      Array.from({ length: 150 }, (_, i) => header(`X-Fuzz-${i}`, String(i))),
    ),
    fc.tuple(fc.constantFrom('X-Junk', 'User-Agent', 'Accept', 'X-Forwarded-For', 'Cookie'), fc.oneof(fc.constantFrom(...LATIN1_JUNK), junkString.map((s) => s.replace(/[\r\n\0]/g, '')))).map(([name, value]) => [header(name, value)]),
  );
  const withNoise = (base: fc.Arbitrary<FuzzRequest>): fc.Arbitrary<FuzzRequest> =>
    fc.tuple(base, fc.option(noiseHeader, { freq: 3 })).map(([request, noise]) => (noise ? { ...request, label: `${request.label} + odd headers`, headers: [...request.headers, ...noise] } : request));

  return {
    provisionBadId,
    getBadId,
    provisionBadBody,
    provisionGzipBomb,
    listBadQuery,
    webhookBadSignature,
    webhookSignedBadPayload,
    webhookOversized,
    authDefect,
    duplicatedAuth,
    unknownRoute,
    oddMethod,
    publicOdd,
    boardRead,
    boardMutation,
    sessionDefect,
    signIn,
    withNoise,
  };
}

/** All categories, weighted towards valid credentials with malformed data (the most interesting). */
export function fuzzRequests(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const a = fuzzArbitraries(ctx);
  return a.withNoise(
    fc.oneof(
      { weight: 6, arbitrary: a.provisionBadId },
      { weight: 4, arbitrary: a.getBadId },
      { weight: 10, arbitrary: a.provisionBadBody },
      { weight: 1, arbitrary: a.provisionGzipBomb },
      { weight: 6, arbitrary: a.listBadQuery },
      { weight: 7, arbitrary: a.webhookBadSignature },
      { weight: 8, arbitrary: a.webhookSignedBadPayload },
      { weight: 1, arbitrary: a.webhookOversized },
      { weight: 5, arbitrary: a.authDefect },
      { weight: 2, arbitrary: a.duplicatedAuth },
      { weight: 4, arbitrary: a.unknownRoute },
      { weight: 3, arbitrary: a.oddMethod },
      { weight: 3, arbitrary: a.publicOdd },
      { weight: 4, arbitrary: a.boardRead },
      { weight: 3, arbitrary: a.boardMutation },
      { weight: 2, arbitrary: a.sessionDefect },
      { weight: 1, arbitrary: a.signIn },
    ),
  );
}

/**
 * Requests no HTTP client library would send: broken request lines, smuggling-shaped framing, header
 * overflow, bytes that are not UTF-8. Node's parser rejects most before the app sees them; the rest
 * reach the app and must still get a JSON 4xx.
 */
export function malformedHttp(ctx: FuzzContext): FuzzRequest[] {
  const T = ctx.adminToken;
  const auth = `Authorization: Bearer ${T}\r\n`;
  const raw = (label: string, text: string | Buffer): FuzzRequest => ({
    label: `raw HTTP: ${label}`,
    method: '(raw)',
    path: '(raw)',
    headers: [],
    bytes: typeof text === 'string' ? Buffer.from(text, 'latin1') : text,
  });
  const post = (id: string) => `POST /api/orders/${id}/provision HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${auth}`;
  const hook = 'POST /api/webhooks/payments HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n';
  return [
    raw('garbage', 'GARBAGE\r\n\r\n'),
    raw('method only', 'GET\r\n\r\n'),
    raw('HTTP/9.9', 'GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n'),
    raw('HTTP/0.9', 'GET /healthz\r\n\r\n'),
    raw('HTTP/1.0 without Host', 'GET /healthz HTTP/1.0\r\n\r\n'),
    raw('HTTP/1.1 without Host', 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n'),
    raw('lower-case method', 'get /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    raw('unknown method', 'FROBNICATE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    raw('double spaces', 'GET  /healthz  HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    raw('space in header name', 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: x\r\nConnection: close\r\n\r\n'),
    raw('NUL in header value', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\0b\r\nConnection: close\r\n\r\n'),
    raw('obs-fold', `GET /api/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\r\n ${T}\r\nConnection: close\r\n\r\n`),
    raw('bare LF line endings', 'GET /healthz HTTP/1.1\nHost: x\nConnection: close\n\n'),
    raw('bare CR', 'GET /healthz HTTP/1.1\rHost: x\r\r'),
    raw('absolute-form target', 'GET http://evil.example/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    raw('asterisk-form OPTIONS', 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    raw('CONNECT', 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n'),
    raw('HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
    raw('upgrade to websocket', 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'),
    raw('upgrade h2c', `GET /api/orders HTTP/1.1\r\nHost: x\r\n${auth}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`),
    raw('raw non-UTF-8 bytes in path', Buffer.concat([Buffer.from('GET /api/orders/'), Buffer.from([0xc0, 0xaf, 0xff, 0xfe]), Buffer.from(` HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`)])),
    raw('raw UTF-8 in path', `GET /api/orders/${Buffer.from('ééé').toString('latin1')} HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`),
    raw('raw non-UTF-8 in header value', Buffer.concat([Buffer.from('GET /api/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer '), Buffer.from([0xff, 0xfe, 0xc0]), Buffer.from('\r\nConnection: close\r\n\r\n')])),
    raw('Content-Length and Transfer-Encoding', `${post(ctx.ids.paid)}Content-Type: application/json\r\nContent-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n{"a":1}\r\n0\r\n\r\n`),
    raw('two Content-Lengths', `${post(ctx.ids.paid)}Content-Type: application/json\r\nContent-Length: 7\r\nContent-Length: 9\r\n\r\n{"a":1}`),
    raw('Content-Length list', `${post(ctx.ids.paid)}Content-Type: application/json\r\nContent-Length: 7, 7\r\n\r\n{"a":1}`),
    raw('negative Content-Length', `${post(ctx.ids.paid)}Content-Type: application/json\r\nContent-Length: -1\r\n\r\n{}`),
    raw('huge Content-Length', `${post(ctx.ids.paid)}Content-Type: application/json\r\nContent-Length: 99999999999999999999\r\n\r\n{}`),
    raw('Content-Length over the limit, short body', `${post(ctx.ids.paid)}Content-Type: application/json\r\nContent-Length: ${BODY_LIMIT + 1}\r\n\r\n{"a":1}`),
    raw('Content-Length longer than the body', `${post(ctx.ids.paid)}Content-Type: application/json\r\nContent-Length: 50\r\n\r\n{"a":1}`),
    raw('webhook: Content-Length longer than the body', `${hook}Content-Length: 500\r\n\r\n{"type":"payment.succeeded"}`),
    raw('webhook: Content-Length over the limit', `${hook}Content-Length: ${BODY_LIMIT * 10}\r\n\r\n{}`),
    raw('bad chunk size', `${post(ctx.ids.paid)}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`),
    raw('huge chunk size', `${post(ctx.ids.paid)}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n{}\r\n0\r\n\r\n`),
    raw('missing last chunk', `${post(ctx.ids.paid)}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n{"a":1}\r\n`),
    raw('chunked over the limit', `${post(ctx.ids.paid)}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${Array.from({ length: 30 }, () => `1000\r\n${'x'.repeat(0x1000)}\r\n`).join('')}0\r\n\r\n`),
    raw('chunked webhook over the limit', `${hook}Transfer-Encoding: chunked\r\n\r\n${Array.from({ length: 30 }, () => `1000\r\n${'x'.repeat(0x1000)}\r\n`).join('')}0\r\n\r\n`),
    raw('chunked extension junk', `${post(ctx.ids.paid)}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n7;${'x'.repeat(5000)}\r\n{"a":1}\r\n0\r\n\r\n`),
    raw('Transfer-Encoding gzip', `${post(ctx.ids.paid)}Content-Type: application/json\r\nTransfer-Encoding: gzip\r\n\r\n{"a":1}`),
    raw('Transfer-Encoding chunked twice', `${post(ctx.ids.paid)}Content-Type: application/json\r\nTransfer-Encoding: chunked, chunked\r\n\r\n7\r\n{"a":1}\r\n0\r\n\r\n`),
    raw('Transfer-Encoding with leading space', `${post(ctx.ids.paid)}Content-Type: application/json\r\n Transfer-Encoding: chunked\r\n\r\n7\r\n{"a":1}\r\n0\r\n\r\n`),
    raw('Expect: 100-continue, bad body', `${post(ctx.ids.paid)}Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 7\r\n\r\n{"a":1}`),
    raw('Expect: bogus', `${post(ctx.ids.paid)}Content-Type: application/json\r\nExpect: bogus\r\nContent-Length: 7\r\n\r\n{"a":1}`),
    raw('header block over 16 kB', `GET /api/orders HTTP/1.1\r\nHost: x\r\n${auth}X-Big: ${'x'.repeat(20_000)}\r\nConnection: close\r\n\r\n`),
    raw('URL over 16 kB', `GET /api/orders/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`),
    raw('2500 headers', `GET /api/orders?limit=1 HTTP/1.1\r\nHost: x\r\n${auth}${Array.from({ length: 2500 }, (_, i) => `X${i}: ${i}\r\n`).join('')}Connection: close\r\n\r\n`),
    raw('duplicated Content-Type (text first)', `${post(ctx.ids.paid)}Content-Type: text/plain\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`),
    raw('duplicated webhook headers', `${hook}webhook-id: a\r\nwebhook-id: b\r\nwebhook-timestamp: 1\r\nwebhook-timestamp: 2\r\nwebhook-signature: v1,x\r\nwebhook-signature: v1,y\r\nContent-Length: 2\r\n\r\n{}`),
    raw('empty Host', 'GET /healthz HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n'),
    raw('two Hosts', 'GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n'),
    raw('Host with junk', 'GET /healthz HTTP/1.1\r\nHost: a b/c@d:99999\r\nConnection: close\r\n\r\n'),
    raw('pipelined, second malformed', 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE / HTTP/1.1\r\n\r\n'),
    raw('path traversal, raw', `GET /api/orders/../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`),
    raw('bull-board traversal, raw', `GET /admin/queues/static/../../../../../../package.json HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`),
    raw('backslash traversal', `GET /admin/queues/static/..\\..\\..\\package.json HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`),
    raw('fragment in target', `POST /api/orders/${ctx.ids.paid}#/provision HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`),
    raw('only CRLFs', '\r\n\r\n\r\n\r\n'),
    raw('binary junk', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37 + 11) % 256))),
    raw('TLS ClientHello on the plain port', Buffer.from('16030100a5010000a10303', 'hex')),
  ];
}
