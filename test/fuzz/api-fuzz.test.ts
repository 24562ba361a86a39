import fc from 'fast-check';
import { Types } from 'mongoose';
import { enqueueProvision } from '../../src/queue/provision-queue';
import { ADMIN_TOKEN, WEBHOOK_SECRET, useApi } from '../integration/api-harness';
import { fuzzRequests, malformedHttp, type FuzzContext } from './cases';
import { send, type FuzzAnswer, type FuzzRequest } from './http-client';

/**
 * Bad-input fuzzing over every route: seeded, so a failure reproduces with the same FUZZ_SEED.
 * Every request is malformed (or a harmless read); none may get a 5xx, a non-JSON error, a hang or
 * a crash, and none may change the database or enqueue a job.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_f022);
const RUNS = Number(process.env.FUZZ_RUNS ?? 560);
const CONCURRENCY = 4;
const TIMEOUT_MS = 5_000;

const api = useApi();

/** Prometheus text from /metrics is the one non-JSON body a public route answers. */
const PROMETHEUS = /^text\/plain; version=0\.0\.4/;
const STACK_TRACE = /\bat .*\.(ts|js):\d+/;

function routeOf(request: FuzzRequest): string {
  return request.path.split('?')[0] ?? '';
}

/** What is wrong with an answer, if anything. */
function problems(request: FuzzRequest, answer: FuzzAnswer): string[] {
  const found: string[] = [];
  if (answer.error && (answer.via === 'fetch' || /hang/.test(answer.error))) found.push(`no answer: ${answer.error}`);
  if (answer.status === null) {
    // Node's parser closes on framing it cannot read; a request fetch could send deserves an answer.
    if (answer.via === 'fetch' && !answer.error) found.push('no status');
    return found;
  }
  if (answer.status >= 500) found.push(`status ${answer.status}`);
  // Every request here is malformed: one the API took (anything but a read) is a validation hole.
  // bull-board's own API takes some no-op mutations (cleaning a state that does not exist); the
  // database and queue snapshots judge those.
  const bullBoard = routeOf(request).startsWith('/admin/queues');
  const read = ['GET', 'HEAD', '(raw)'].includes(request.method);
  if (answer.status < 300 && !read && !bullBoard && !/unsupported_event/.test(answer.body.toString('utf8'))) {
    found.push(`accepted: ${answer.body.subarray(0, 160).toString('utf8')}`);
  }
  if (answer.body.length === 0) return found;
  const contentType = answer.headers['content-type'] ?? '';
  const path = routeOf(request).toLowerCase();
  const boardPage = request.validAuth === true && path.startsWith('/admin/queues') && answer.status < 400;
  if (boardPage) return found;
  // The admin page (HTML, its script and stylesheet) is public; it signs in through a cookie.
  if (/^\/admin(\/app\.js|\/styles\.css)?\/?$/.test(path) && answer.status < 400) return found;
  if (PROMETHEUS.test(contentType) && answer.status === 200 && /^\/metrics\/?$/.test(path)) return found;
  if (!/^application\/json/.test(contentType)) {
    found.push(`non-JSON body (${contentType || 'no content type'}): ${answer.body.subarray(0, 120).toString()}`);
    return found;
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.body.toString('utf8'));
  } catch {
    found.push(`body is not JSON: ${answer.body.subarray(0, 120).toString()}`);
    return found;
  }
  if (answer.status >= 400) {
    const error = typeof body === 'object' && body !== null && 'error' in body ? body.error : undefined;
    // Our errors carry a string code and a message; bull-board's own API errors carry { key }.
    const ours = typeof error === 'string' && typeof (body as { message?: unknown }).message === 'string';
    const board = path.startsWith('/admin/queues/api/') && typeof error === 'object' && error !== null;
    if (!ours && !board) found.push(`error body without error/message: ${answer.body.subarray(0, 200).toString()}`);
  }
  if (STACK_TRACE.test(answer.body.toString('utf8'))) found.push('stack trace in body');
  return found;
}

/** Every document of the collections the API writes, in a stable order. */
async function snapshotDatabase(): Promise<unknown> {
  const [orders, webhookEvents] = await Promise.all([
    api.db.orders.collection.find({}).sort({ _id: 1 }).toArray(),
    api.db.webhookEvents.collection.find({}).sort({ _id: 1 }).toArray(),
  ]);
  return { orders, webhookEvents };
}

/** The queue's keys and job counts: any new job or deduplication key shows here. */
async function snapshotQueue(): Promise<unknown> {
  const keys = (await api.redis.keys(`${api.queue.opts.prefix}:*`)).sort();
  const counts = await api.queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized');
  const jobs = await api.queue.getJobs(['waiting', 'delayed', 'active', 'prioritized']);
  return { keys, counts, jobs: jobs.map((job) => ({ id: job.id, data: job.data })).sort((a, b) => String(a.id).localeCompare(String(b.id))) };
}

async function seed(): Promise<FuzzContext> {
  const order = (fields: Parameters<typeof api.createOrder>[0]) => api.createOrder(fields);
  const ids = {
    paid: await order({ status: 'paid' }),
    pending: await order({ status: 'pending' }),
    failed: await order({ status: 'paid', provisioningStatus: 'failed', provisioningError: 'boom' }),
    active: await order({ status: 'active', provisioningStatus: 'active', ipAddress: '10.0.0.1' }),
    cancelled: await order({ status: 'cancelled' }),
    queued: await order({ status: 'paid', provisioningStatus: 'queued' }),
    stuck: await order({ status: 'confirmed', provisioningStatus: 'provisioning' }),
    hostycare: await order({ status: 'paid', provider: 'hostycare', packageName: null }),
  };
  // One live job (so in-progress paths and bull-board have something to show) and one recorded event.
  await enqueueProvision(api.queue, ids.queued, 'payment');
  const knownWebhookId = `msg_${new Types.ObjectId().toString()}`;
  await api.db.webhookEvents.create({ webhookId: knownWebhookId, type: 'payment.succeeded', orderId: ids.queued, outcome: 'processed', receivedAt: new Date() });
  return { adminToken: ADMIN_TOKEN, webhookSecret: WEBHOOK_SECRET, ids, knownWebhookId, ...(await signIn()) };
}

/** The admin page's session cookie, where the API has the page's sign-in (`POST /admin/session`). */
async function signIn(): Promise<{ sessionCookie?: string }> {
  const res = await fetch(`${api.api.url}/admin/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ADMIN_TOKEN }) });
  await res.body?.cancel();
  const cookie = res.ok ? res.headers.get('set-cookie')?.split(';')[0] : undefined;
  return cookie ? { sessionCookie: cookie } : {};
}

async function runAll(requests: FuzzRequest[]): Promise<{ request: FuzzRequest; index: number; answer: FuzzAnswer; problems: string[] }[]> {
  const results: { request: FuzzRequest; index: number; answer: FuzzAnswer; problems: string[] }[] = [];
  let next = 0;
  const lane = async () => {
    while (next < requests.length) {
      const index = next++;
      const request = requests[index] as FuzzRequest;
      const started = performance.now();
      const answer = await send(api.api.url, request, TIMEOUT_MS);
      if (process.env.FUZZ_VERBOSE) console.log(`${(performance.now() - started).toFixed(0)} ms #${index} ${answer.status ?? 'closed'} ${request.label}`);
      results.push({ request, index, answer, problems: problems(request, answer) });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return results.sort((a, b) => a.index - b.index);
}

function describeFailure({ request, index, answer, problems: found }: { request: FuzzRequest; index: number; answer: FuzzAnswer; problems: string[] }): string {
  const headers = request.headers.map(([n, v]) => `${n}: ${v.length > 80 ? `${v.slice(0, 80)}… (${v.length} chars)` : v}`).join(' | ');
  const target = request.bytes ? JSON.stringify(request.bytes.subarray(0, 160).toString('latin1')) : `${request.method} ${request.path.slice(0, 200)}`;
  const body = request.body ? ` body(${request.body.length} B): ${JSON.stringify(request.body.subarray(0, 80).toString('latin1'))}` : '';
  return `#${index} [${request.label}] via ${answer.via}: ${target} [${headers}]${body}\n    -> ${answer.status ?? 'no answer'}: ${found.join('; ')}`;
}

describe('bad-input fuzzing', () => {
  it(`answers ${RUNS}+ malformed requests over every route with JSON 4xx, changing nothing (seed ${SEED})`, async () => {
    const ctx = await seed();
    const dbBefore = await snapshotDatabase();
    const queueBefore = await snapshotQueue();

    const generated = fc.sample(fuzzRequests(ctx), { seed: SEED, numRuns: RUNS });
    const requests = [...malformedHttp(ctx), ...generated];
    const results = await runAll(requests);

    const failures = results.filter((result) => result.problems.length > 0);
    if (failures.length > 0) {
      const report = failures.slice(0, 40).map(describeFailure).join('\n');
      throw new Error(`${failures.length} of ${results.length} fuzz requests got bad answers (reproduce with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}):\n${report}`);
    }

    // Every route family was exercised, most often with valid credentials and malformed data.
    const families: Record<string, RegExp> = {
      provision: /^\/api\/orders\/[^/?]*\/provision/,
      orderView: /^\/api\/orders\/[^/?]+$/,
      orderList: /^\/api\/orders(\?|$)/,
      webhooks: /^\/api\/webhooks\/payments/,
      bullBoard: /^\/admin\/queues/,
      health: /^\/(healthz|readyz)/i,
      metrics: /^\/metrics/i,
      openapi: /^\/api\/openapi\.json/,
    };
    const thin = Object.entries(families)
      .map(([family, pattern]) => ({ family, count: requests.filter((r) => pattern.test(r.path)).length }))
      .filter(({ count }) => count < 5);
    expect(thin).toEqual([]);
    expect(requests.length).toBeGreaterThanOrEqual(500);
    expect(results.filter((r) => r.answer.via === 'raw').length).toBeGreaterThanOrEqual(50);

    // Still alive, nothing written, nothing enqueued.
    const health = await fetch(`${api.api.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(await snapshotDatabase()).toEqual(dbBefore);
    expect(await snapshotQueue()).toEqual(queueBefore);
  }, 60_000);
});
