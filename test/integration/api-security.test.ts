import { METRIC } from '../../src/observability/metrics';
import { enqueueProvision, findLiveProvisionJob } from '../../src/queue/provision-queue';
import { ADMIN_TOKEN, unknownId, useApi } from './api-harness';

const api = useApi();

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function expectErrorShape(body: Record<string, unknown>, error: string): void {
  expect(body).toMatchObject({ error, message: expect.any(String) });
  expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(ts|js):\d+/);
}

describe('admin authentication', () => {
  const adminRoutes = (): [string, string][] => [
    ['GET', '/api/orders'],
    ['GET', `/api/orders/${unknownId()}`],
    ['GET', '/api/orders/not-an-id'],
    ['POST', `/api/orders/${unknownId()}/provision`],
    ['POST', '/api/orders/not-an-id/provision'],
    ['GET', '/api/orders?limit=1000&bogus=1'],
    ['GET', '/admin/queues'],
    ['GET', '/admin/queues/api/queues'],
  ];

  it.each(adminRoutes())('%s %s: 401 without credentials, 403 with a wrong token', async (method, path) => {
    const missing = await api.json(path, { method, auth: false });
    expect(missing.status).toBe(401);
    expectErrorShape(missing.body, 'unauthorized');

    const wrong = await api.json(path, { method, auth: false, headers: { authorization: 'Bearer not-the-admin-token' } });
    expect(wrong.status).toBe(403);
    expectErrorShape(wrong.body, 'forbidden');
  });

  it('a malformed Authorization header counts as missing (401)', async () => {
    for (const authorization of ['Bearer', 'Token abc', 'Bearer a b', '']) {
      const { status } = await api.json('/api/orders', { auth: false, headers: { authorization } });
      expect(status).toBe(401);
    }
  });

  it('the order routes do not take Basic credentials', async () => {
    const { status } = await api.json('/api/orders', { auth: false, headers: { authorization: basic('admin', ADMIN_TOKEN) } });
    expect(status).toBe(401);
  });

  it('bull-board asks browsers for Basic credentials and serves its page with them', async () => {
    const missing = await api.request('/admin/queues', { auth: false });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Basic realm="bull-board"');
    await missing.body?.cancel();

    const wrong = await api.request('/admin/queues', { auth: false, headers: { authorization: basic('ops', 'wrong-password') } });
    expect(wrong.status).toBe(403);
    await wrong.body?.cancel();

    const page = await api.request('/admin/queues', { auth: false, headers: { authorization: basic('anyone', ADMIN_TOKEN) } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('x-powered-by')).toBeNull();
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    const html = await page.text();
    expect(html).toContain('<base href="/admin/queues/"');
    const script = /src="(static\/js\/main[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();

    const asset = await api.request(`/admin/queues/${script}`, { auth: false, headers: { authorization: basic('anyone', ADMIN_TOKEN) } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    await asset.body?.cancel();

    const queues = await api.json<{ queues: { name: string }[] }>('/admin/queues/api/queues', { auth: false, headers: { authorization: basic('x', ADMIN_TOKEN) } });
    expect(queues.status).toBe(200);
    expect(queues.body.queues.map((q) => q.name)).toContain('provision');
  });

  it('bull-board also takes the Bearer token', async () => {
    const page = await api.request('/admin/queues');
    expect(page.status).toBe(200);
    await page.body?.cancel();
  });
});

describe('bull-board writes', () => {
  it("bull-board's Retry and Add on the provision queue are refused (405): a retry goes through the order, keeping one live job", async () => {
    const orderId = await api.createOrder({ status: 'confirmed', provisioningStatus: 'failed' });
    const { jobId } = await enqueueProvision(api.queue, orderId, 'admin');
    const paths: [string, string][] = [
      ['PUT', `/admin/queues/api/queues/provision/${jobId}/retry`],
      ['PUT', '/admin/queues/api/queues/provision/retry/failed'],
      ['POST', '/admin/queues/api/queues/provision/add'],
      ['PATCH', `/admin/queues/api/queues/provision/${jobId}/update-data`],
      // The same, spelled as bull-board's router would still take them.
      ['PUT', `/admin/queues/api/queues/provision/${jobId}/retry/`],
      ['POST', '/admin/queues/api/queues/provision/add/'],
      ['POST', '/admin/queues/API/queues/PROVISION/add'],
      ['POST', '/admin/queues/api/queues/%70rovision/add'],
    ];
    for (const [method, path] of paths) {
      const answer = await api.json(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', data: { orderId } }) });
      expect({ path, status: answer.status }).toEqual({ path, status: 405 });
      expectErrorShape(answer.body, 'action_not_allowed');
    }
    expect(await api.queue.getJobCounts('prioritized', 'waiting', 'delayed', 'failed')).toMatchObject({ prioritized: 1, waiting: 0 });
    // The queue tells bull-board's UI to offer no Retry button.
    const queues = await api.json<{ queues: { name: string; allowRetries: boolean }[] }>('/admin/queues/api/queues');
    expect(queues.body.queues.find((q) => q.name === 'provision')?.allowRetries).toBe(false);
  });

  it('every bull-board write must come from its own origin, however it is authenticated', async () => {
    const crossSite: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'same-site', origin: 'https://other.vps.example' },
    ];
    for (const headers of crossSite) {
      const answer = await api.json('/admin/queues/api/queues/provision/pause', { method: 'PUT', auth: false, headers: { authorization: basic('ops', ADMIN_TOKEN), ...headers } });
      expect(answer.status).toBe(403);
      expectErrorShape(answer.body, 'forbidden');
    }
    expect(await api.queue.isPaused()).toBe(false);
    const own = new URL(api.api.url).host;
    const sameOrigin = await api.request('/admin/queues/api/queues/provision/pause', { method: 'PUT', headers: { 'sec-fetch-site': 'same-origin', origin: `http://${own}` } });
    expect(sameOrigin.status).toBe(200);
    await sameOrigin.body?.cancel();
    expect(await api.queue.isPaused()).toBe(true);
    await api.queue.resume();
  });
});

describe('bad input is a 4xx JSON answer and changes nothing', () => {
  let orderId: string;
  let before: Record<string, unknown> | null;

  beforeEach(async () => {
    orderId = await api.createOrder({ status: 'confirmed', provisioningStatus: 'failed', autoProvisioned: true });
    before = await api.rawOrder(orderId);
  });

  afterEach(async () => {
    expect(await api.rawOrder(orderId)).toEqual(before);
    expect(await findLiveProvisionJob(api.queue, orderId)).toBeNull();
  });

  it.each(['not-an-id', '123', 'zzzzzzzzzzzzzzzzzzzzzzzz', '0123456789abcdef01234567aa'])('malformed id %s → 400 invalid_request with details', async (id) => {
    for (const [method, path] of [
      ['GET', `/api/orders/${id}`],
      ['POST', `/api/orders/${id}/provision`],
    ] as const) {
      const { status, body } = await api.json(path, { method });
      expect(status).toBe(400);
      expectErrorShape(body, 'invalid_request');
      expect(body.details).toEqual([expect.objectContaining({ path: ['orderId'], message: expect.any(String) })]);
    }
  });

  it('a broken %-escape in the path → 400, not 500', async () => {
    const { status, body } = await api.json('/api/orders/%E0%A4%A');
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
  });

  it.each([
    'limit=0',
    'limit=101',
    'limit=abc',
    'limit=1.5',
    'limit=5&limit=6',
    'status=shipped',
    'provisioningStatus=done',
    'provider=aws',
    'bogus=1',
    'cursor=not-a-cursor',
    'cursor=AAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  ])('GET /api/orders?%s → 400 invalid_request', async (query) => {
    const { status, body } = await api.json(`/api/orders?${query}`);
    expect(status).toBe(400);
    expectErrorShape(body, 'invalid_request');
    expect(body.details).toEqual(expect.any(Array));
  });

  it('limit 1 and 100 are fine', async () => {
    expect((await api.json('/api/orders?limit=1')).status).toBe(200);
    expect((await api.json('/api/orders?limit=100')).status).toBe(200);
  });

  it('a 1 MB body → 413 payload_too_large', async () => {
    const { status, body } = await api.json(`/api/orders/${orderId}/provision`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ padding: 'x'.repeat(1024 * 1024) }),
    });
    expect(status).toBe(413);
    expectErrorShape(body, 'payload_too_large');
  });

  it('a non-JSON body → 415 unsupported_media_type', async () => {
    for (const [type, payload] of [
      ['text/plain', 'provision please'],
      ['application/x-www-form-urlencoded', 'a=1'],
    ]) {
      const { status, body } = await api.json(`/api/orders/${orderId}/provision`, { method: 'POST', headers: { 'content-type': type as string }, body: payload });
      expect(status).toBe(415);
      expectErrorShape(body, 'unsupported_media_type');
    }
  });

  it('invalid JSON → 400 invalid_json', async () => {
    for (const payload of ['{"a":', 'null', '"text"']) {
      const { status, body } = await api.json(`/api/orders/${orderId}/provision`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
      expect(status).toBe(400);
      expectErrorShape(body, 'invalid_json');
    }
  });

  it('a JSON body with fields → 400 invalid_request (the route takes none)', async () => {
    const { status, body } = await api.json(`/api/orders/${orderId}/provision`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ force: true }),
    });
    expect(status).toBe(400);
    expectErrorShape(body, 'invalid_request');
  });

  it('unknown routes and methods → 404 JSON', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['GET', '/api'],
      ['DELETE', `/api/orders/${orderId}`],
      ['PUT', `/api/orders/${orderId}/provision`],
      ['GET', '/api/webhooks/payments'],
    ] as const) {
      const { status, body, res } = await api.json(path, { method });
      expect(status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expectErrorShape(body, 'not_found');
    }
  });
});

describe('provision accepts an empty body', () => {
  it('no body, an empty JSON body, or {} → 202', async () => {
    for (const init of [{}, { headers: { 'content-type': 'application/json' }, body: '' }, { headers: { 'content-type': 'application/json' }, body: '{}' }]) {
      const id = await api.createOrder({ status: 'paid' });
      const { status } = await api.json(`/api/orders/${id}/provision`, { method: 'POST', ...init });
      expect(status).toBe(202);
    }
  });
});

describe('headers, health, metrics, OpenAPI', () => {
  it('sets security headers and never x-powered-by', async () => {
    const res = await api.request('/healthz');
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    await res.body?.cancel();
  });

  it('/healthz and /readyz answer without auth', async () => {
    expect(await api.json('/healthz', { auth: false })).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await api.json('/readyz', { auth: false })).toMatchObject({ status: 200, body: { status: 'ready', mongo: 'ok', redis: 'ok' } });
  });

  it('/metrics has queue depth and HTTP durations by route pattern', async () => {
    const id = await api.createOrder({ status: 'paid' });
    await api.json(`/api/orders/${id}`);
    const res = await api.request('/metrics', { auth: false });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain(METRIC.queueDepth);
    expect(text).toMatch(new RegExp(`${METRIC.queueDepth}\\{state="waiting"\\} \\d+`));
    expect(text).toContain(`route="/api/orders/:orderId"`);
    expect(text).not.toContain(id);
  });

  it('/api/openapi.json documents the paths', async () => {
    const { status, body } = await api.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>('/api/openapi.json', { auth: false });
    expect(status).toBe(200);
    expect(body.openapi).toMatch(/^3\.1/);
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining(['/api/orders', '/api/orders/{orderId}', '/api/orders/{orderId}/provision', '/api/webhooks/payments', '/healthz', '/readyz', '/metrics']),
    );
    expect(body.paths['/api/orders/{orderId}/provision']).toHaveProperty('post');
  });
});
