import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Types } from 'mongoose';
import { ADMIN_SESSION_COOKIE } from '../../src/api/auth';
import { enqueueProvision, findLiveProvisionJob, PROVISION_JOB } from '../../src/queue/provision-queue';
import { ADMIN_TOKEN, ALICE_TOKEN, APP_TOKEN, BOB_TOKEN, useApi } from './api-harness';

/**
 * Operators at night: named admins and the audit log, the web app's token and what it may not do,
 * bulk Retry, Retry now, rate-limited failed sign-ins, one sign-in for the admin page and bull-board.
 */

const api = useApi();
const ROOT = join(__dirname, '..', '..');

interface AuditPage {
  events: { at: string; actor: string; action: string; orderId?: string; outcome: string; details?: Record<string, unknown> }[];
  nextCursor: string | null;
}

const provision = (orderId: string, token = ADMIN_TOKEN, body?: unknown) =>
  api.json(`/api/orders/${orderId}/provision`, {
    method: 'POST',
    token,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });

async function emptyQueue(): Promise<void> {
  await api.queue.obliterate({ force: true });
}

describe('named admins and the audit log', () => {
  it('records who asked, for each admin and the app, and the order view shows its entries', async () => {
    const orderId = await api.createOrder({ status: 'confirmed', provisioningStatus: 'failed' });
    expect((await provision(orderId, ALICE_TOKEN)).status).toBe(202);
    expect((await provision(orderId, BOB_TOKEN)).body).toMatchObject({ error: 'in_progress' });
    expect((await provision(orderId, APP_TOKEN)).status).toBe(409);

    const { body } = await api.json<AuditPage>(`/api/audit?orderId=${orderId}`);
    expect(body.events.map((e) => [e.actor, e.action, e.outcome])).toEqual([
      ['app', 'provision', 'in_progress'],
      ['bob', 'provision', 'in_progress'],
      ['alice', 'provision', 'queued'],
    ]);
    expect(body.events[2]?.details).toMatchObject({ jobId: expect.any(String) });
    const view = await api.json<{ audit: AuditPage['events'] }>(`/api/orders/${orderId}`);
    expect(view.body.audit.map((e) => e.actor)).toEqual(['app', 'bob', 'alice']);
  });

  it('filters by actor and action, pages with a cursor, and refuses bad filters', async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, () => api.createOrder({ status: 'paid', provisioningStatus: 'failed' })));
    for (const id of ids) await provision(id, BOB_TOKEN);
    const first = await api.json<AuditPage>('/api/audit?actor=bob&action=provision&limit=3');
    expect(first.body.events).toHaveLength(3);
    expect(first.body.events.every((e) => e.actor === 'bob' && e.action === 'provision')).toBe(true);
    const second = await api.json<AuditPage>(`/api/audit?actor=bob&action=provision&limit=3&cursor=${first.body.nextCursor}`);
    const seen = [...first.body.events, ...second.body.events].map((e) => e.orderId);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect((await api.json('/api/audit?action=dance')).status).toBe(400);
    expect((await api.json('/api/audit?cursor=nope')).status).toBe(400);
    expect((await api.json('/api/audit?orderId=123')).status).toBe(400);
  });
});

describe('the web app token', () => {
  it('reads orders, requests provisioning (recorded as app), and reveals; nothing else', async () => {
    const orderId = await api.createOrder({ status: 'paid' });
    expect((await api.json('/api/orders', { token: APP_TOKEN })).status).toBe(200);
    expect((await api.json(`/api/orders/${orderId}`, { token: APP_TOKEN })).status).toBe(200);
    expect((await provision(orderId, APP_TOKEN)).status).toBe(202);
    // No credentials yet: 404, but allowed.
    expect((await api.json(`/api/orders/${orderId}/credentials/reveal`, { method: 'POST', token: APP_TOKEN })).status).toBe(404);

    const refused: [string, string, unknown?][] = [
      ['POST', '/api/orders/provision', { orderIds: [orderId] }],
      ['POST', `/api/orders/${orderId}/provision`, { now: true }],
      ['GET', '/api/audit'],
      ['GET', '/admin/queues'],
      ['GET', '/admin/queues/api/queues'],
    ];
    for (const [method, path, body] of refused) {
      const answer = await api.request(path, {
        method,
        token: APP_TOKEN,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      expect({ method, path, status: answer.status }).toEqual({ method, path, status: 403 });
      await answer.body?.cancel();
    }
    // Nor may it sign in to the admin page.
    const signIn = await api.json('/admin/session', { method: 'POST', auth: false, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: APP_TOKEN }) });
    expect(signIn.status).toBe(403);
  });
});

describe('bulk Retry', () => {
  beforeEach(emptyQueue);

  it('a dry run counts the outcomes and changes nothing', async () => {
    const failed = await Promise.all(Array.from({ length: 3 }, () => api.createOrder({ status: 'paid', provisioningStatus: 'failed', provider: 'hostycare' })));
    const active = await api.createOrder({ status: 'active', provisioningStatus: 'active', ipAddress: '10.0.0.1' });
    const pending = await api.createOrder({ status: 'pending' });
    const live = await api.createOrder({ status: 'paid', provisioningStatus: 'failed' });
    await enqueueProvision(api.queue, live, 'admin');
    const missing = new Types.ObjectId().toHexString();
    const before = await api.queue.getJobCounts('prioritized');

    const { status, body } = await api.json('/api/orders/provision', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderIds: [...failed, active, pending, live, missing], dryRun: true }),
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ dryRun: true, counts: { queued: 3, already_active: 1, not_provisionable: 1, in_progress: 1, not_found: 1 } });
    expect(await api.queue.getJobCounts('prioritized')).toEqual(before);
    expect((await api.rawOrder(failed[0] as string))?.provisioningStatus).toBe('failed');
  });

  it('by filter: every match goes through the Retry decision and gets its outcome; one entry for the action, one per order pointing to it', async () => {
    const ids = await Promise.all(Array.from({ length: 4 }, () => api.createOrder({ status: 'paid', provisioningStatus: 'failed', provider: 'hostycare' })));
    const { body } = await api.json<{ counts: Record<string, number>; results: { orderId: string; outcome?: string }[] }>('/api/orders/provision', {
      method: 'POST',
      token: ALICE_TOKEN,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filter: { provisioningStatus: 'failed', provider: 'hostycare' } }),
    });
    expect(body.counts.queued).toBeGreaterThanOrEqual(4);
    for (const id of ids) expect(body.results).toContainEqual(expect.objectContaining({ orderId: id, outcome: 'queued' }));
    for (const id of ids) expect(await findLiveProvisionJob(api.queue, id)).not.toBeNull();
    const bulk = await api.json<AuditPage>('/api/audit?actor=alice&action=provision_bulk&limit=1');
    const bulkEntry = bulk.body.events[0];
    expect(bulkEntry).toMatchObject({ outcome: 'done', details: { filter: { provisioningStatus: 'failed', provider: 'hostycare' } } });
    const perOrder = await api.json<AuditPage>(`/api/audit?orderId=${ids[0]}`);
    expect(perOrder.body.events[0]).toMatchObject({ actor: 'alice', action: 'provision', outcome: 'queued', details: { bulkId: expect.any(String) } });
  });

  it('1,000 failed orders make exactly 1,000 jobs, even with two bulk requests at once', async () => {
    const docs = Array.from({ length: 1_000 }, () => ({ status: 'paid', provider: 'smartvps', packageName: '103.101', plan: '4gb', os: 'ubuntu-22.04', provisioningStatus: 'failed', customerEmail: 'bulk@example.com' }));
    const created = await api.db.orders.insertMany(docs);
    const ids = created.map((order) => String(order._id));
    const send = () =>
      api.json<{ counts: Record<string, number> }>('/api/orders/provision', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderIds: ids.slice(0, 500) }) });
    const sendRest = () =>
      api.json<{ counts: Record<string, number> }>('/api/orders/provision', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderIds: ids.slice(500) }) });
    const answers = await Promise.all([send(), send(), sendRest(), sendRest()]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    const queued = answers.reduce((sum, a) => sum + (a.body.counts.queued ?? 0), 0);
    const inProgress = answers.reduce((sum, a) => sum + (a.body.counts.in_progress ?? 0), 0);
    expect(queued).toBe(1_000);
    expect(inProgress).toBe(1_000);
    expect((await api.queue.getJobCounts('prioritized')).prioritized).toBe(1_000);
    await api.db.orders.deleteMany({ customerEmail: 'bulk@example.com' });
  }, 60_000);

  it('refuses more than 500 ids, a filter matching more than 5,000 orders (with the count), and bad bodies, changing nothing', async () => {
    const tooMany = Array.from({ length: 501 }, () => new Types.ObjectId().toHexString());
    const ids = await api.json('/api/orders/provision', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orderIds: tooMany }) });
    expect(ids.status).toBe(400);
    await api.db.orders.insertMany(Array.from({ length: 5_001 }, () => ({ status: 'cancelled', provider: 'hostycare', plan: 's', os: 'debian-12', customerEmail: 'many@example.com' })));
    const filter = await api.json<{ details: { matched: number } }>('/api/orders/provision', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filter: { status: 'cancelled' }, dryRun: true }),
    });
    expect(filter.status).toBe(400);
    expect(filter.body.details.matched).toBeGreaterThan(5_000);
    await api.db.orders.deleteMany({ customerEmail: 'many@example.com' });
    for (const body of [{}, { orderIds: [] }, { orderIds: ['x'] }, { filter: { status: 'nope' } }, { orderIds: [new Types.ObjectId().toHexString()], filter: {} }]) {
      expect((await api.json('/api/orders/provision', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status).toBe(400);
    }
    expect(await api.queue.getJobCounts('prioritized', 'waiting')).toEqual({ prioritized: 0, waiting: 0 });
  }, 60_000);
});

describe('Retry now', () => {
  it('runs a delayed live job at once instead of answering in_progress, and records it', async () => {
    const orderId = await api.createOrder({ status: 'paid', provisioningStatus: 'queued' });
    const jobId = `${orderId}-delayed`;
    await api.queue.add(PROVISION_JOB, { orderId, reason: 'admin', requestedAt: new Date().toISOString() }, { jobId, deduplication: { id: orderId }, delay: 300_000 });
    expect((await provision(orderId)).body).toMatchObject({ error: 'in_progress', state: 'delayed' });
    const now = await provision(orderId, BOB_TOKEN, { now: true });
    expect(now).toMatchObject({ status: 202, body: { outcome: 'promoted', orderId, jobId } });
    // Run now puts it ahead of new jobs, in the plain wait list.
    expect(await (await api.queue.getJob(jobId))?.getState()).toBe('waiting');
    expect((await api.queue.getJob(jobId))?.attemptsMade).toBe(0);
    // A job that is not waiting out a delay has nothing to hurry: in_progress as usual.
    expect((await provision(orderId, BOB_TOKEN, { now: true })).body).toMatchObject({ error: 'in_progress' });
    const audit = await api.json<AuditPage>(`/api/audit?orderId=${orderId}&action=retry_now`);
    expect(audit.body.events.map((e) => [e.actor, e.outcome])).toEqual([
      ['bob', 'in_progress'],
      ['bob', 'promoted'],
    ]);
  });
});

describe('failed authentication', () => {
  /** A request from another loopback address, so this test's limit does not hold up the others. */
  function fromAddress(address: string, path: string, headers: Record<string, string>): Promise<{ status: number; retryAfter: string | undefined }> {
    const { port } = new URL(api.api.url);
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, localAddress: address, headers }, (res) => {
        res.resume();
        res.once('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined }));
      });
      req.once('error', reject);
      req.end();
    });
  }

  it('is rate-limited per client address: 429 with Retry-After past ten a minute, even for a right token then; others are not held up', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i += 1) statuses.push((await fromAddress('127.0.0.7', '/api/orders', { authorization: `Bearer wrong-token-${i}-0123456789` })).status);
    expect(statuses).toEqual(Array(10).fill(403));
    const limited = await fromAddress('127.0.0.7', '/api/orders', { authorization: 'Bearer wrong-token-again-0123456789' });
    expect(limited.status).toBe(429);
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    expect((await fromAddress('127.0.0.7', '/api/orders', { authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(429);
    const basic = `Basic ${Buffer.from('x:wrong').toString('base64')}`;
    expect((await fromAddress('127.0.0.7', '/admin/queues', { authorization: basic })).status).toBe(429);
    expect((await fromAddress('127.0.0.8', '/api/orders', { authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(200);
    // The first few failures of the window are in the audit log, not all of them.
    const audit = await api.json<AuditPage>('/api/audit?action=sign_in_failed&limit=100');
    const fromThere = audit.body.events.filter((e) => e.details?.address === '127.0.0.7');
    expect(fromThere.length).toBe(3);
  });
});

describe('one sign-in for the admin page and bull-board', () => {
  it('a named admin signs in; the session names them and opens bull-board too', async () => {
    const signIn = await api.request('/admin/session', { method: 'POST', auth: false, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ALICE_TOKEN }) });
    expect(signIn.status).toBe(200);
    expect(await signIn.json()).toEqual({ name: 'alice' });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect(cookie.startsWith(`${ADMIN_SESSION_COOKIE}=v2.alice.`)).toBe(true);
    expect(cookie).not.toContain(ALICE_TOKEN);

    expect(await (await api.request('/admin/session', { auth: false, headers: { cookie } })).json()).toEqual({ name: 'alice' });
    const board = await api.request('/admin/queues/api/queues', { auth: false, headers: { cookie } });
    expect(board.status).toBe(200);
    await board.body?.cancel();
    // A bull-board write from its own page, with the session: allowed; from another site: refused.
    const own = new URL(api.api.url).host;
    const pause = await api.request('/admin/queues/api/queues/recovery-sweeper/pause', { method: 'PUT', auth: false, headers: { cookie, origin: `http://${own}`, 'sec-fetch-site': 'same-origin' } });
    expect(pause.status).not.toBe(403);
    await pause.body?.cancel();
    const crossSite = await api.request('/admin/queues/api/queues/provision/pause', { method: 'PUT', auth: false, headers: { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    await crossSite.body?.cancel();
    expect(await api.queue.isPaused()).toBe(false);
    const signedIn = await api.json<AuditPage>('/api/audit?actor=alice&action=sign_in');
    expect(signedIn.body.events.length).toBeGreaterThan(0);
  });
});

describe('safe by default', () => {
  it('refuses to start with the development secrets outside the dev stack, naming the variables', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'server.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, MONGO_URL: api.env.mongoUrl, REDIS_URL: api.env.redisUrl, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(1);
    expect(output).toMatch(/Missing ADMIN_TOKENS \(or ADMIN_TOKEN\), WEBHOOK_SECRET, CREDENTIALS_KEY/);
    expect(output).toMatch(/NODE_ENV=development/);
  }, 30_000);
});
