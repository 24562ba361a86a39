import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIMULATOR_API_KEYS, startSimulator, type RunningSimulator } from '../../dev/simulator/simulator';
import { createHostycareClient, createProviderClients, createSmartVpsClient } from '../../src/providers';
import { ProviderError } from '../../src/providers/provider-error';
import type { ProviderCallObserver, ProviderClient, ProviderName, PurchaseRequest } from '../../src/providers/types';
import { providerErrorOf, rejectionOf } from '../support/rejections';
import { waitFor } from '../support/wait-for';

const LABELS: Record<ProviderName, string> = { smartvps: 'SmartVPS', hostycare: 'Hostycare' };
const SOCKET_HANDLES = new Set(['TCPSocketWrap', 'TCPServerWrap']);

let simulator: RunningSimulator;
let fakeProvider: FakeProvider;
let baselineSockets = 0;
let orderCounter = 0;

beforeAll(async () => {
  baselineSockets = openSockets();
  simulator = await startSimulator({ port: 0 });
  fakeProvider = await startFakeProvider();
});

afterAll(async () => {
  await simulator.stop();
  await fakeProvider.stop();
  await waitFor(() => openSockets() <= baselineSockets, { timeoutMs: 5_000, message: 'sockets left open by the test file' });
});

beforeEach(() => simulator.reset());

function openSockets(): number {
  return process.getActiveResourcesInfo().filter((kind) => SOCKET_HANDLES.has(kind)).length;
}

function clientFor(
  provider: ProviderName,
  overrides: { apiKey?: string; timeoutMs?: number; onCall?: ProviderCallObserver; baseUrl?: string } = {},
): ProviderClient {
  const options = {
    baseUrl: overrides.baseUrl ?? `${simulator.url}/${provider}`,
    apiKey: overrides.apiKey ?? SIMULATOR_API_KEYS[provider],
    timeoutMs: overrides.timeoutMs ?? 5_000,
    onCall: overrides.onCall,
  };
  return provider === 'smartvps' ? createSmartVpsClient(options) : createHostycareClient(options);
}

function purchaseRequest(overrides: Partial<PurchaseRequest> = {}): PurchaseRequest {
  orderCounter += 1;
  const orderReference = `order-${orderCounter}`;
  return { orderReference, idempotencyKey: `buy-${orderReference}`, plan: '4gb', os: 'ubuntu-22.04', packageName: '103.101', ...overrides };
}

describe.each(['smartvps', 'hostycare'] as const)('%s adapter against the simulator', (provider) => {
  const label = LABELS[provider];

  it('buys a server that is pending, then active with an IP and credentials after ipDelayMs', async () => {
    simulator.setFaults({ ipDelayMs: 300 });
    const client = clientFor(provider);

    const bought = await client.buy(purchaseRequest());

    expect(bought).toEqual({ reference: expect.any(String), status: 'pending' });
    const active = await waitFor(async () => {
      const purchase = await client.getPurchase(bought.reference);
      return purchase.status === 'active' ? purchase : null;
    });
    expect(active.reference).toBe(bought.reference);
    expect(active.ipAddress).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect(active.credentials).toEqual({ username: expect.any(String), password: expect.stringMatching(/.{12,}/) });
  });

  it('returns the same purchase for the same idempotency key and counts one buy', async () => {
    const client = clientFor(provider);
    const request = purchaseRequest();

    const first = await client.buy(request);
    const second = await client.buy(request);

    expect(second.reference).toBe(first.reference);
    expect(simulator.stats()).toMatchObject({ buys: { [request.orderReference]: 1 }, buyRequests: 2, purchases: 1 });
  });

  it('finds a purchase by order reference only once it exists', async () => {
    const client = clientFor(provider);
    const request = purchaseRequest();

    expect(await client.findPurchase(request.orderReference)).toBeNull();
    const bought = await client.buy(request);

    expect(await client.findPurchase(request.orderReference)).toMatchObject({ reference: bought.reference });
    expect(await client.findPurchase('someone-else')).toBeNull();
  });

  it('classifies a 503 as transient', async () => {
    simulator.setFaults({ failRate: 1 });

    const error = await providerErrorOf(clientFor(provider).buy(purchaseRequest()));

    expect(error.details).toMatchObject({ provider, operation: 'buy', kind: 'transient', status: 503 });
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(new RegExp(`^${label} buy failed: HTTP 503 Service Unavailable`));
    expect(simulator.stats()).toMatchObject({ purchases: 0, faultsInjected: { fail: 1 } });
  });

  it('injects faults only into the operations listed in ops', async () => {
    simulator.setFaults({ failRate: 1, ops: ['buy'] });
    const client = clientFor(provider);

    await expect(client.findPurchase('order-x')).resolves.toBeNull();
    expect((await providerErrorOf(client.buy(purchaseRequest()))).kind).toBe('transient');
  });

  it('classifies a refused purchase (422) as permanent, with the reason', async () => {
    simulator.setFaults({ permanentFailRate: 1 });

    const error = await providerErrorOf(clientFor(provider).buy(purchaseRequest()));

    expect(error.details).toMatchObject({ kind: 'permanent', status: 422 });
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/HTTP 422 Unprocessable Entity: .*out of stock/);
  });

  it('rejects a request without a plan (422) as permanent', async () => {
    const error = await providerErrorOf(clientFor(provider).buy(purchaseRequest({ plan: '' })));

    expect(error.details).toMatchObject({ kind: 'permanent', status: 422 });
    expect(simulator.stats().purchases).toBe(0);
  });

  it('reports a timeout, and the timed-out buy is then found by reference', async () => {
    simulator.setFaults({ timeoutRate: 1 });
    const client = clientFor(provider, { timeoutMs: 200 });
    const request = purchaseRequest();

    const error = await providerErrorOf(client.buy(request));
    expect(error.details).toMatchObject({ kind: 'timeout', operation: 'buy' });
    expect(error.retryable).toBe(true);

    simulator.setFaults({ timeoutRate: 0 });
    const found = await client.findPurchase(request.orderReference);
    expect(found).not.toBeNull();
    // Buying again with the same key is a replay, not a second server.
    expect((await client.buy(request)).reference).toBe(found?.reference);
    expect(simulator.stats().buys).toEqual({ [request.orderReference]: 1 });
  });

  it('classifies a wrong API key (401) as permanent without repeating the key', async () => {
    const wrongKey = 'wrong-key-0123456789';

    const error = await providerErrorOf(clientFor(provider, { apiKey: wrongKey }).findPurchase('order-x'));

    expect(error.details).toMatchObject({ kind: 'permanent', status: 401, operation: 'find' });
    expect(error.message).toMatch(new RegExp(`^${label} find failed: HTTP 401 Unauthorized`));
    expect(error.message).not.toContain(wrongKey);
  });

  it('classifies an unknown purchase (404) as permanent', async () => {
    const error = await providerErrorOf(clientFor(provider).getPurchase('123456789'));

    expect(error.details).toMatchObject({ kind: 'permanent', status: 404, operation: 'status' });
  });

  it("rethrows the caller's abort as is, not as a ProviderError", async () => {
    simulator.setFaults({ latencyMs: 2_000 });
    const controller = new AbortController();
    const call = clientFor(provider).findPurchase('order-x', { signal: controller.signal });
    await waitFor(() => simulator.stats().findRequests === 1);

    controller.abort();

    const error = await rejectionOf(call);
    expect(error).not.toBeInstanceOf(ProviderError);
    expect((error as Error).name).toBe('AbortError');
  });

  it('does not call the provider when the caller has already aborted', async () => {
    const reason = new Error('shutting down');

    const error = await rejectionOf(clientFor(provider).buy(purchaseRequest(), { signal: AbortSignal.abort(reason) }));

    expect(error).toBe(reason);
    expect(simulator.stats().buyRequests).toBe(0);
  });

  it('reports every HTTP call to onCall, with its outcome', async () => {
    const events: Parameters<ProviderCallObserver>[0][] = [];
    const client = clientFor(provider, { onCall: (event) => events.push(event) });

    await client.findPurchase('order-x');
    await client.buy(purchaseRequest());
    simulator.setFaults({ failRate: 1 });
    await rejectionOf(client.getPurchase('1'));

    expect(events.map(({ operation, outcome }) => `${operation}:${outcome}`)).toEqual(['find:not_found', 'buy:ok', 'status:transient']);
    expect(events.every((event) => event.provider === provider && event.durationMs >= 0)).toBe(true);
  });
});

describe('SmartVPS packages', () => {
  it('counts a violation when two buys on one package overlap', async () => {
    simulator.setFaults({ latencyMs: 200 });
    const client = clientFor('smartvps');

    await Promise.all([client.buy(purchaseRequest({ packageName: 'p1' })), client.buy(purchaseRequest({ packageName: 'p1' }))]);

    expect(simulator.stats().concurrentBuyViolations).toEqual({ p1: 1 });
  });

  it('counts no violation for overlapping buys on different packages', async () => {
    simulator.setFaults({ latencyMs: 200 });
    const client = clientFor('smartvps');

    await Promise.all([client.buy(purchaseRequest({ packageName: 'p1' })), client.buy(purchaseRequest({ packageName: 'p2' }))]);

    expect(simulator.stats()).toMatchObject({ concurrentBuyViolations: {}, purchases: 2 });
  });

  it('refuses a buy without packageName before any HTTP call', async () => {
    const error = await providerErrorOf(clientFor('smartvps').buy(purchaseRequest({ packageName: undefined })));

    expect(error.details).toMatchObject({ provider: 'smartvps', operation: 'buy', kind: 'permanent' });
    expect(simulator.stats().buyRequests).toBe(0);
  });
});

describe('createProviderClients', () => {
  it('builds working clients for configured providers and failing ones for the others', async () => {
    const clients = createProviderClients({
      smartvps: { url: undefined, apiKey: 'unused' },
      hostycare: { url: `${simulator.url}/hostycare`, apiKey: SIMULATOR_API_KEYS.hostycare },
      timeoutMs: 5_000,
    });

    await expect(clients.hostycare.findPurchase('order-x')).resolves.toBeNull();
    const error = await providerErrorOf(clients.smartvps.buy(purchaseRequest()));
    expect(error.message).toBe('SmartVPS API URL is not configured');
    expect(error.kind).toBe('permanent');
    expect(clients.smartvps.name).toBe('smartvps');
  });
});

describe('classification of what the simulator never sends', () => {
  const client = (timeoutMs = 5_000) => clientFor('smartvps', { baseUrl: fakeProvider.url, apiKey: 'secret-key-123', timeoutMs });

  it('maps 429 to rate_limited with Retry-After', async () => {
    fakeProvider.respond((_req, res) => res.writeHead(429, { 'retry-after': '7' }).end('{}'));

    const error = await providerErrorOf(client().findPurchase('x'));

    expect(error.details).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 7_000 });
  });

  it.each([408, 500, 502])('maps %i to transient', async (status) => {
    fakeProvider.respond((_req, res) => res.writeHead(status).end());

    expect((await providerErrorOf(client().findPurchase('x'))).details).toMatchObject({ kind: 'transient', status });
  });

  it('maps a redirect to permanent without following it (it would carry the API key away)', async () => {
    fakeProvider.respond((_req, res) => res.writeHead(302, { location: 'http://127.0.0.1:9/steal' }).end());

    expect((await providerErrorOf(client().findPurchase('x'))).details).toMatchObject({ kind: 'permanent', status: 302 });
  });

  it('maps a 2xx that is not JSON, or not the expected shape, to transient and says why', async () => {
    fakeProvider.respond((_req, res) => res.writeHead(200).end('<html>maintenance</html>'));
    expect((await providerErrorOf(client().findPurchase('x'))).message).toBe('SmartVPS find failed: HTTP 200 response is not valid JSON');

    fakeProvider.respond((_req, res) => res.writeHead(200).end(JSON.stringify({ servers: [{ id: 'srv_1', status: 'melting' }] })));
    const error = await providerErrorOf(client().findPurchase('x'));
    expect(error.kind).toBe('transient');
    expect(error.message).toMatch(/unexpected response shape \(HTTP 200\): servers\.0\.\w+/);
  });

  it('keeps the API key out of messages even when the provider echoes it', async () => {
    fakeProvider.respond((req, res) =>
      res.writeHead(403).end(JSON.stringify({ error: { code: 'forbidden', message: `key ${req.headers['x-api-key']} is suspended` } })),
    );

    const error = await providerErrorOf(client().findPurchase('x'));

    expect(error.message).toBe('SmartVPS find failed: HTTP 403 Forbidden: key [redacted] is suspended');
  });

  it('keeps connections alive; a read on one the provider reset is sent once more on a connection of its own, however many idle ones are stale', async () => {
    const callsPerConnection = new Map<unknown, number>();
    let resets = 0;
    fakeProvider.respond((req, res) => {
      const calls = (callsPerConnection.get(req.socket) ?? 0) + 1;
      callsPerConnection.set(req.socket, calls);
      // Every kept connection is stale: the provider resets any second call on one.
      if (calls >= 2) {
        resets += 1;
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ servers: [] }));
    });
    const reused = client();
    // Two calls at once: two connections, both kept idle afterwards.
    expect(await Promise.all([reused.findPurchase('a'), reused.findPurchase('b')])).toEqual([null, null]);

    expect(await reused.findPurchase('c')).toBeNull();

    expect(resets).toBe(1);
    // c's reset on a kept connection, then its answer on a new one; the other kept one untouched.
    expect([...callsPerConnection.values()].sort()).toEqual([1, 1, 2]);
  });

  it('a buy on a kept connection the provider reset is not sent again: its answer is unknown, for the attempt to look for', async () => {
    let calls = 0;
    const seen = new Set<unknown>();
    fakeProvider.respond((req, res) => {
      calls += 1;
      if (seen.has(req.socket)) return req.socket.destroy();
      seen.add(req.socket);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ servers: [] }));
    });
    const reused = client();
    expect(await reused.findPurchase('a')).toBeNull();

    const error = await providerErrorOf(reused.buy(purchaseRequest()));

    expect(error.details).toMatchObject({ kind: 'transient', operation: 'buy' });
    expect(error.details.status).toBeUndefined();
    expect(calls).toBe(2);
  });

  it('a reset on a new connection is not tried again: the call fails as transient', async () => {
    let calls = 0;
    fakeProvider.respond((req) => {
      calls += 1;
      req.socket.destroy();
    });
    const error = await providerErrorOf(client().findPurchase('x'));
    expect(error.details).toMatchObject({ kind: 'transient' });
    expect(calls).toBe(1);
  });

  it('maps a dropped connection and a refused connection to transient', async () => {
    fakeProvider.respond((req) => req.socket.destroy());
    expect((await providerErrorOf(client().findPurchase('x'))).message).toMatch(/^SmartVPS find failed: network error/);

    const closedPort = await unusedPort();
    const refused = clientFor('hostycare', { baseUrl: `http://127.0.0.1:${closedPort}` });
    const error = await providerErrorOf(refused.findPurchase('x'));
    expect(error.details).toMatchObject({ kind: 'transient', provider: 'hostycare' });
    expect(error.message).toContain('ECONNREFUSED');
  });
});

describe('simulator controls over HTTP', () => {
  const control = (path: string, init?: RequestInit) => fetch(`${simulator.url}/__sim${path}`, init);
  const postJson = (path: string, body: string) =>
    control(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('reports stats', async () => {
    await clientFor('hostycare').buy(purchaseRequest({ orderReference: 'ref-1' }));

    const response = await control('/stats');

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      buys: { 'ref-1': 1 },
      concurrentBuyViolations: {},
      buyRequests: 1,
      statusRequests: 0,
      findRequests: 0,
      purchases: 1,
      faultsInjected: { fail: 0, permanent: 0, timeout: 0 },
    });
  });

  it('sets faults and answers the full current set', async () => {
    const response = await postJson('/faults', JSON.stringify({ failRate: 0.5, ops: ['buy'] }));

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      failRate: 0.5,
      permanentFailRate: 0,
      timeoutRate: 0,
      latencyMs: 0,
      ipDelayMs: expect.any(Number),
      ops: ['buy'],
    });
  });

  it.each([
    ['a rate above 1', JSON.stringify({ failRate: 1.5 })],
    ['an unknown op', JSON.stringify({ ops: ['delete'] })],
    ['an unknown field', JSON.stringify({ failrate: 1 })],
    ['malformed JSON', '{"failRate":'],
  ])('answers 400 to %s and changes nothing', async (_case, body) => {
    const response = await postJson('/faults', body);

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.any(String), message: expect.any(String), details: expect.any(Array) });
    await expect(clientFor('smartvps').findPurchase('x')).resolves.toBeNull();
  });

  it('resets purchases, counters and faults', async () => {
    const client = clientFor('smartvps');
    const request = purchaseRequest();
    await client.buy(request);
    simulator.setFaults({ failRate: 1 });

    const response = await control('/reset', { method: 'POST' });

    expect(response.status).toBe(204);
    expect(simulator.stats()).toMatchObject({ buys: {}, buyRequests: 0, purchases: 0 });
    await expect(client.findPurchase(request.orderReference)).resolves.toBeNull();
  });
});

interface FakeProvider {
  url: string;
  respond(listener: RequestListener): void;
  stop(): Promise<void>;
}

/** A bare HTTP server for answers the simulator never gives (429, redirects, broken JSON). */
async function startFakeProvider(): Promise<FakeProvider> {
  let listener: RequestListener = (_req, res) => res.writeHead(500).end();
  const server = createServer((req, res) => listener(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    respond: (next) => {
      listener = next;
    },
    stop: () => closeServer(server),
  };
}

async function unusedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await closeServer(server);
  return port;
}

function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  return closed;
}
