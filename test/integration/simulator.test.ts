/**
 * The provider simulator over real HTTP, called through the real provider adapters: timing profiles and
 * scale, buys that go on at the provider after the client has gone, and the newer faults.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import {
  SIMULATOR_API_KEYS,
  simulatorFaultsFromEnv,
  startSimulator,
  type RunningSimulator,
} from '../../dev/simulator/simulator';
import { createHostycareClient, createSmartVpsClient } from '../../src/providers';
import type { ProviderClient, ProviderName, PurchaseRequest } from '../../src/providers/types';
import { useIntegrationEnv } from '../support/integration';
import { providerErrorOf, rejectionOf } from '../support/rejections';
import { waitFor } from '../support/wait-for';

const ROOT = join(__dirname, '..', '..');
/** What an HTTP round trip on a busy machine may add to a simulated latency; still below every unscaled minimum it is checked against. */
const OVERHEAD_MS = 150;
/** Calls timed per latency checked: the fastest is held to the range's top, so one call a busy machine stalls cannot fail it. */
const SAMPLES = 3;
/** setTimeout may fire up to a millisecond before performance.now() says the time has come. */
const TIMER_SLOP_MS = 1;

const env = useIntegrationEnv({ mongo: false, redis: false });
let simulator: RunningSimulator;
let orderCounter = 0;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0 });
  env.track({ close: () => simulator.stop() });
});

beforeEach(() => simulator.reset());

function clientFor(provider: ProviderName, timeoutMs = 5_000, url = simulator.url): ProviderClient {
  const options = { baseUrl: `${url}/${provider}`, apiKey: SIMULATOR_API_KEYS[provider], timeoutMs };
  return provider === 'smartvps' ? createSmartVpsClient(options) : createHostycareClient(options);
}

function purchaseRequest(overrides: Partial<PurchaseRequest> = {}): PurchaseRequest {
  orderCounter += 1;
  const orderReference = `sim-order-${orderCounter}`;
  return { orderReference, idempotencyKey: `buy-${orderReference}`, plan: '4gb', os: 'ubuntu-22.04', packageName: `pkg-${orderCounter}`, ...overrides };
}

/** How long `call` took, in ms, and what it returned. */
async function timed<T>(call: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const startedAt = performance.now();
  const value = await call();
  return { ms: performance.now() - startedAt, value };
}

function since(startedAt: number): number {
  return performance.now() - startedAt;
}

async function postControl(path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${simulator.url}/__sim${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: response.status === 204 ? null : await response.json() };
}

async function currentFaults(): Promise<unknown> {
  return (await fetch(`${simulator.url}/__sim/faults`)).json();
}

/** A raw lookup by order reference, for what the adapters do not show (headers, bodies). */
function rawFind(provider: ProviderName, reference: string): Promise<Response> {
  return provider === 'smartvps'
    ? fetch(`${simulator.url}/smartvps/v1/servers?reference=${reference}`, { headers: { 'x-api-key': SIMULATOR_API_KEYS.smartvps } })
    : fetch(`${simulator.url}/hostycare/api/orders?client_ref=${reference}`, { headers: { authorization: `Bearer ${SIMULATOR_API_KEYS.hostycare}` } });
}

/**
 * Every call took at least the range's minimum (timers never fire early), and the fastest at most its
 * maximum plus the HTTP overhead (a stall on a busy machine only ever adds, and seldom to every call).
 */
function expectWithin(samples: number | number[], [min, max]: readonly [number, number]): void {
  const all = typeof samples === 'number' ? [samples] : samples;
  for (const ms of all) expect(ms).toBeGreaterThanOrEqual(min - TIMER_SLOP_MS);
  expect(Math.min(...all)).toBeLessThan(max + OVERHEAD_MS);
}

/** `SAMPLES` timings of `call`, one after another. */
async function timings(call: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i += 1) samples.push((await timed(call)).ms);
  return samples;
}

describe('timing', () => {
  it('the realistic profile at scale 0.1 answers each operation within its scaled range', async () => {
    const set = await postControl('/faults', { profile: 'realistic', scale: 0.1 });
    expect(set).toEqual({
      status: 200,
      body: expect.objectContaining({
        latencyMs: null,
        ipDelayMs: null,
        latency: { find: [200, 500], buy: [1_000, 3_000], status: [200, 500] },
        ipDelay: [30_000, 120_000],
        scale: 0.1,
      }),
    });
    const client = clientFor('smartvps');

    const samples = { buy: [] as number[], find: [] as number[], status: [] as number[] };
    for (let i = 0; i < SAMPLES; i += 1) {
      const request = purchaseRequest();
      const buy = await timed(() => client.buy(request));
      samples.buy.push(buy.ms);
      samples.find.push((await timed(() => client.findPurchase(request.orderReference))).ms);
      samples.status.push((await timed(() => client.getPurchase(buy.value.reference))).ms);
    }
    expectWithin(samples.buy, [100, 300]);
    expectWithin(samples.find, [20, 50]);
    expectWithin(samples.status, [20, 50]);
  });

  it('a range with min = max is a fixed latency, for the operation it names only', async () => {
    simulator.setFaults({ latency: { status: [150, 150] } });
    const client = clientFor('hostycare');
    const bought = await client.buy(purchaseRequest());

    expectWithin(await timings(() => client.getPurchase(bought.reference)), [150, 150]);
    expect(Math.min(...(await timings(() => client.findPurchase('nobody'))))).toBeLessThan(150);
  });

  it.each(['smartvps', 'hostycare'] as const)('%s: with the realistic profile at scale 0.01 the IP comes only after the scaled delay', async (provider) => {
    simulator.setFaults({ profile: 'realistic', scale: 0.01 });
    const client = clientFor(provider);
    const startedAt = performance.now();

    const bought = await client.buy(purchaseRequest());
    expect(bought.status).toBe('pending');
    expect((await client.getPurchase(bought.reference)).status).toBe('pending');
    const active = await waitFor(async () => {
      const purchase = await client.getPurchase(bought.reference);
      return purchase.status === 'active' ? purchase : null;
    });

    // IP delay 300–1200 ms, counted from the purchase's creation after a buy latency of 10–30 ms.
    expectWithin(since(startedAt), [310, 1_230]);
    expect(active.ipAddress).toMatch(/^10\./);
  });

  it('scale multiplies the fixed latencyMs and ipDelayMs too', async () => {
    const set = await postControl('/faults', { latencyMs: 400, ipDelayMs: 400, scale: 0.25 });
    expect(set.body).toEqual(expect.objectContaining({ latencyMs: 400, ipDelayMs: 400, scale: 0.25 }));

    expectWithin(await timings(() => clientFor('smartvps').findPurchase('nobody')), [100, 100]);
  });

  it('a profile sets the ranges and the fields after it override them', async () => {
    const set = await postControl('/faults', { profile: 'realistic', latency: { buy: [0, 0] }, ipDelayMs: 0, failRate: 0.25 });

    expect(set.body).toEqual({
      failRate: 0.25,
      permanentFailRate: 0,
      timeoutRate: 0,
      latencyMs: null,
      ipDelayMs: 0,
      latency: { find: [200, 500], buy: [0, 0], status: [200, 500] },
      ops: ['find', 'buy', 'status'],
    });
    // The profile's own buy takes a second at least.
    expect((await timed(() => clientFor('hostycare').buy(purchaseRequest()).catch(() => null))).ms).toBeLessThan(1_000);

    // Back to the fast profile: the original fields only, as before any of this.
    const fast = await postControl('/faults', { profile: 'fast', failRate: 0 });
    expect(fast.body).toEqual({ failRate: 0, permanentFailRate: 0, timeoutRate: 0, latencyMs: 0, ipDelayMs: 1_000, ops: ['find', 'buy', 'status'] });
  });

  it('a new IP delay applies to purchases still waiting, never to running ones', async () => {
    simulator.setFaults({ ipDelayMs: 60_000 });
    const client = clientFor('smartvps');
    const bought = await client.buy(purchaseRequest());
    expect((await client.getPurchase(bought.reference)).status).toBe('pending');

    simulator.setFaults({ ipDelayMs: 0 });
    expect((await client.getPurchase(bought.reference)).status).toBe('active');

    simulator.setFaults({ profile: 'realistic' });
    expect((await client.getPurchase(bought.reference)).status).toBe('active');
  });

  it.each([
    ['a range with min above max', { latency: { buy: [300, 100] } }],
    ['a range that is not a pair', { ipDelay: [1_000] }],
    ['an unknown profile', { profile: 'slow' }],
    ['a negative scale', { scale: -1 }],
    ['an unknown operation in latency', { latency: { delete: [1, 2] } }],
    ['a rate above 1', { lostPurchaseRate: 2 }],
    ['a valid profile with an invalid field', { profile: 'realistic', retryAfterMs: 'soon' }],
  ])('refuses %s with 400 and details, and changes nothing', async (_case, body) => {
    simulator.setFaults({ failRate: 0.5 });
    const before = await currentFaults();

    const response = await postControl('/faults', body);

    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: 'invalid_faults',
      message: expect.any(String),
      details: expect.arrayContaining([{ path: expect.any(String), message: expect.any(String) }]),
    });
    expect(await currentFaults()).toEqual(before);
  });

  it('reset goes back to the fast profile, unscaled, without the newer faults', async () => {
    simulator.setFaults({ profile: 'realistic', scale: 0.5, rateLimitRate: 0.5, lostPurchaseRate: 0.5, failAfterAcceptRate: 0.5, retryAfterMs: 5_000 });

    expect((await postControl('/reset', {})).status).toBe(204);

    expect(await currentFaults()).toEqual({ failRate: 0, permanentFailRate: 0, timeoutRate: 0, latencyMs: 0, ipDelayMs: 1_000, ops: ['find', 'buy', 'status'] });
  });
});

describe('a buy goes on at the provider whether or not the client waits', () => {
  /** Starts a buy and aborts it as soon as the simulator has it (an abort sooner might never reach it). */
  async function hangUpOnceReceived(buy: (signal: AbortSignal) => Promise<unknown>): Promise<void> {
    const hangUp = new AbortController();
    const buying = rejectionOf(buy(hangUp.signal));
    await waitFor(() => simulator.stats().buyRequests === 1);
    hangUp.abort();
    expect(await buying).toMatchObject({ name: 'AbortError' });
  }

  it('a buy whose client gave up is created when its latency has passed, and holds its package until then', async () => {
    simulator.setFaults({ latency: { buy: [200, 200] } });
    const first = purchaseRequest({ packageName: 'p-window' });
    const startedAt = performance.now();

    await hangUpOnceReceived((signal) => clientFor('smartvps').buy(first, { signal }));
    expect(simulator.stats().buys[first.orderReference]).toBeUndefined();
    // Long enough after the hang-up for the simulator to have seen the socket close.
    await waitFor(() => since(startedAt) >= 50);
    const second = clientFor('smartvps').buy(purchaseRequest({ packageName: 'p-window' }));

    await waitFor(() => simulator.stats().buys[first.orderReference] === 1);
    expect(since(startedAt)).toBeGreaterThanOrEqual(200 - TIMER_SLOP_MS);
    await second;
    expect(simulator.stats().concurrentBuyViolations).toEqual({ 'p-window': 1 });
    await expect(clientFor('smartvps').findPurchase(first.orderReference)).resolves.toMatchObject({ status: 'pending' });

    // Once both are processed the package is free again.
    await clientFor('smartvps').buy(purchaseRequest({ packageName: 'p-window' }));
    expect(simulator.stats().concurrentBuyViolations).toEqual({ 'p-window': 1 });
  });

  it('a Hostycare order whose client gave up is created all the same', async () => {
    simulator.setFaults({ latency: { buy: [150, 150] } });
    const request = purchaseRequest();

    await hangUpOnceReceived((signal) => clientFor('hostycare').buy(request, { signal }));
    expect(simulator.stats().purchases).toBe(0);

    await waitFor(() => simulator.stats().buys[request.orderReference] === 1);
    await expect(clientFor('hostycare').findPurchase(request.orderReference)).resolves.toMatchObject({ status: 'pending' });
  });

  it('a timed-out buy is processed for its latency, then its answer is withheld; the package is free once processed', async () => {
    simulator.setFaults({ timeoutRate: 1, ops: ['buy'], latency: { buy: [100, 100] } });
    const first = purchaseRequest({ packageName: 'p-held' });
    const waiting = new AbortController();
    const startedAt = performance.now();
    const unanswered = rejectionOf(clientFor('smartvps').buy(first, { signal: waiting.signal }));

    await waitFor(() => simulator.stats().buys[first.orderReference] === 1);
    expect(since(startedAt)).toBeGreaterThanOrEqual(100 - TIMER_SLOP_MS);
    simulator.setFaults({ timeoutRate: 0 });
    // The first client is still waiting for its answer, but the provider is done with that buy.
    await clientFor('smartvps').buy(purchaseRequest({ packageName: 'p-held' }));

    expect(simulator.stats().concurrentBuyViolations).toEqual({});
    expect(simulator.stats().faultsInjected).toMatchObject({ timeout: 1 });
    waiting.abort();
    expect(await unanswered).toMatchObject({ name: 'AbortError' });
  });
});

describe.each(['smartvps', 'hostycare'] as const)('%s faults', (provider) => {
  it('lostPurchaseRate: a status call makes the provider forget the purchase, answered 404; finds no longer list it', async () => {
    const client = clientFor(provider);
    const request = purchaseRequest();
    const bought = await client.buy(request);
    simulator.setFaults({ lostPurchaseRate: 1, ops: ['find', 'buy'] });
    await expect(client.getPurchase(bought.reference)).resolves.toMatchObject({ status: 'pending' });

    simulator.setFaults({ ops: ['status'] });
    const lost = await providerErrorOf(client.getPurchase(bought.reference));

    expect(lost.details).toMatchObject({ operation: 'status', status: 404, kind: 'permanent' });
    expect(lost.message).toMatch(/HTTP 404 Not Found: .*not found/i);
    await expect(client.findPurchase(request.orderReference)).resolves.toBeNull();
    expect(simulator.stats()).toMatchObject({ purchases: 0, faultsInjected: { lost: 1 } });

    // Gone for good, and its idempotency key with it: buying again makes a second purchase.
    simulator.setFaults({ lostPurchaseRate: 0 });
    expect((await providerErrorOf(client.getPurchase(bought.reference))).details.status).toBe(404);
    const again = await client.buy(request);
    expect(again.reference).not.toBe(bought.reference);
    expect(simulator.stats().buys[request.orderReference]).toBe(2);
  });

  it('POST /__sim/forget makes the provider forget one order reference now', async () => {
    const client = clientFor(provider);
    const request = purchaseRequest();
    const kept = purchaseRequest();
    const bought = await client.buy(request);
    await client.buy(kept);
    const other = provider === 'smartvps' ? 'hostycare' : 'smartvps';

    expect(await postControl('/forget', { orderReference: request.orderReference, provider: other })).toEqual({ status: 200, body: { forgotten: 0 } });
    expect(await postControl('/forget', { orderReference: request.orderReference })).toEqual({ status: 200, body: { forgotten: 1 } });

    expect((await providerErrorOf(client.getPurchase(bought.reference))).details.status).toBe(404);
    await expect(client.findPurchase(request.orderReference)).resolves.toBeNull();
    await expect(client.findPurchase(kept.orderReference)).resolves.not.toBeNull();
    expect(simulator.stats()).toMatchObject({ purchases: 1, faultsInjected: { lost: 1 } });
    expect((await postControl('/forget', { reference: 'x' })).status).toBe(400);
  });

  it('rateLimitRate: 429 at once with Retry-After in whole seconds, and a rate-limited buy creates nothing', async () => {
    simulator.setFaults({ rateLimitRate: 1, retryAfterMs: 2_500, ops: ['buy'], latency: { buy: [500, 500] } });
    const client = clientFor(provider);
    const request = purchaseRequest();

    const { ms, value: limited } = await timed(() => providerErrorOf(client.buy(request)));

    expect(limited.details).toMatchObject({ operation: 'buy', kind: 'rate_limited', status: 429, retryAfterMs: 3_000 });
    expect(ms).toBeLessThan(500);
    await expect(client.findPurchase(request.orderReference)).resolves.toBeNull();
    expect(simulator.stats()).toMatchObject({ purchases: 0, buyRequests: 1, faultsInjected: { rateLimited: 1 } });
    expect(simulator.stats().buys).toEqual({});
  });

  it('rateLimitRate: the answer is in the provider error shape, and Retry-After is at least 1', async () => {
    simulator.setFaults({ rateLimitRate: 1, retryAfterMs: 200 });

    const response = await rawFind(provider, 'x');

    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
    const body: unknown = await response.json();
    expect(body).toEqual(provider === 'smartvps' ? { error: { code: 'rate_limited', message: expect.any(String) } } : { message: 'Too Many Attempts.' });
  });

  it('failAfterAcceptRate: an accepted purchase fails with a reason when its IP delay elapses', async () => {
    simulator.setFaults({ failAfterAcceptRate: 1, ipDelayMs: 150 });
    const client = clientFor(provider);
    const request = purchaseRequest();
    const startedAt = performance.now();

    const bought = await client.buy(request);
    expect(bought.status).toBe('pending');
    const failed = await waitFor(async () => {
      const purchase = await client.getPurchase(bought.reference);
      return purchase.status === 'pending' ? null : purchase;
    });

    expect(since(startedAt)).toBeGreaterThanOrEqual(150 - TIMER_SLOP_MS);
    expect(failed).toEqual({ reference: bought.reference, status: 'failed', error: expect.stringMatching(/no capacity/i) });
    await expect(client.findPurchase(request.orderReference)).resolves.toMatchObject({ status: 'failed' });
    expect(simulator.stats().faultsInjected).toMatchObject({ failedAfterAccept: 1 });
  });

  it('failAfterAcceptRate is decided at creation, and only for buys when ops names them', async () => {
    simulator.setFaults({ failAfterAcceptRate: 1, ipDelayMs: 0, ops: ['status'] });
    const client = clientFor(provider);

    const bought = await client.buy(purchaseRequest());
    simulator.setFaults({ ops: ['buy'] });

    await expect(client.getPurchase(bought.reference)).resolves.toMatchObject({ status: 'active', ipAddress: expect.any(String) });
    expect(simulator.stats().faultsInjected).toEqual({ fail: 0, permanent: 0, timeout: 0 });
  });
});

describe('stop', () => {
  it('ends buys still being processed and held answers at once', async () => {
    const slow = await startSimulator({ port: 0, faults: { profile: 'realistic', latency: { buy: [5_000, 5_000] } } });
    env.track({ close: () => slow.stop() });
    const buying = rejectionOf(clientFor('smartvps', 10_000, slow.url).buy(purchaseRequest()));
    await waitFor(() => slow.stats().buyRequests === 1);

    const { ms } = await timed(() => slow.stop());

    expect(ms).toBeLessThan(1_000);
    expect(await buying).toMatchObject({ details: { kind: 'transient' } });
    expect(slow.stats().purchases).toBe(0);
  });
});

describe('environment', () => {
  it('reads SIM_PROFILE and SIM_SCALE, and names the variable when one is invalid', () => {
    expect(simulatorFaultsFromEnv({ SIM_PROFILE: 'realistic', SIM_SCALE: '0.1' })).toEqual({ profile: 'realistic', scale: 0.1 });
    expect(simulatorFaultsFromEnv({ SIM_PROFILE: '', SIM_SCALE: ' ' })).toEqual({});
    expect(() => simulatorFaultsFromEnv({ SIM_PROFILE: 'slow' })).toThrow(/^Invalid SIM_PROFILE "slow": expected one of fast, realistic/);
    for (const scale of ['fast', '-1', '1000', 'Infinity']) {
      expect(() => simulatorFaultsFromEnv({ SIM_SCALE: scale })).toThrow(/^Invalid SIM_SCALE/);
    }
  });

  it('npm run simulator starts with the profile and scale the environment asks for', async () => {
    const simulatorProcess = runSimulator({ SIM_PROFILE: 'realistic', SIM_SCALE: '0.1' });
    const url = await waitFor(() => /^Simulator {2,}(http:\S+)$/m.exec(simulatorProcess.output())?.[1], { timeoutMs: 20_000 });

    const faults = await (await fetch(`${url}/__sim/faults`)).json();

    expect(faults).toEqual(expect.objectContaining({ latency: { find: [200, 500], buy: [1_000, 3_000], status: [200, 500] }, scale: 0.1 }));
    simulatorProcess.child.kill('SIGTERM');
    expect(await simulatorProcess.exited).toBe(0);
  });

  it('npm run simulator refuses an invalid SIM_SCALE, naming it', async () => {
    const simulatorProcess = runSimulator({ SIM_SCALE: 'quick' });

    expect(await simulatorProcess.exited).toBe(1);
    expect(simulatorProcess.output()).toContain('Invalid SIM_SCALE "quick"');
  });
});

/** `npm run simulator`, without npm in between so that signals reach it. */
function runSimulator(extraEnv: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['dev/simulator/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, SIMULATOR_PORT: '0', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close', not 'exit': the pipes must be closed too, or the leak check sees them.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  env.track({ close: () => (child.exitCode === null && child.signalCode === null ? child.kill('SIGKILL') : undefined) });
  return { child, output: () => output, exited };
}
