import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { ADMIN_SESSION_COOKIE } from '../../src/api/auth';
import { startApiServer, type ApiServer } from '../../src/api/start-api';
import type { Config } from '../../src/config';
import type { Order } from '../../src/db/order-model';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { findLiveProvisionJob, PROVISION_JOB, type ProvisionQueue } from '../../src/queue/provision-queue';
import { usePipeline } from '../support/pipeline';
import { waitFor } from '../support/wait-for';

/**
 * The admin page in headless Chromium against the real API, a real in-process worker, Redis, the
 * database and the provider simulator.
 */

const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';
const ROOT = join(__dirname, '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const DOCS_SCREENSHOT = join(ROOT, 'docs', 'admin-orders.png');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RED = 'rgb(220, 38, 38)';
const BLUE = 'rgb(29, 78, 216)';

const p = usePipeline();
let config: Config;
let queue: ProvisionQueue;
let api: ApiServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Console errors and uncaught exceptions of the page (a CSP violation shows up here). */
let pageErrors: string[];

beforeAll(async () => {
  config = p.config({ ADMIN_TOKEN });
  queue = p.queue(config);
  queue.on('error', () => undefined);
  const logger = createLogger({ level: config.logLevel, name: 'api-e2e' });
  api = p.env.track(await startApiServer({ config, db: p.db, queue, redis: p.redis, logger, metrics: createMetrics(), host: '127.0.0.1', port: 0 }));
  const launching = chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  // Tracked before it resolves: a launch that outlives this hook's timeout is still closed.
  p.env.track({ close: async () => (await launching.catch(() => undefined))?.close() });
  browser = await launching;
  mkdirSync(ARTIFACTS, { recursive: true });
}, 30_000);

beforeEach(async () => {
  p.simulator.reset();
  // Long enough for the spinner to be seen, short enough for a fast test.
  p.simulator.setFaults({ ipDelayMs: 1_000 });
  context = await browser.newContext({ baseURL: api.url, viewport: { width: 1360, height: 760 } });
  // Below jest's own timeout, so a stuck wait fails with playwright's message saying what it waited for.
  context.setDefaultTimeout(10_000);
  page = await context.newPage();
  pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    // The first look at /api/orders before sign-in is an expected 401, which Chromium logs.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text());
  });
});

afterEach(async () => {
  await context.close();
  expect(pageErrors).toEqual([]);
});

const row = (orderId: string): Locator => page.locator(`tr[data-order-id="${orderId}"]`);
const actionButton = (orderId: string): Locator => row(orderId).locator('button.action');
const backgroundOf = (locator: Locator): Promise<string> => locator.evaluate((element) => getComputedStyle(element).backgroundColor);

async function signIn(): Promise<void> {
  await page.goto('/admin');
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Orders' }).waitFor();
}

const failedOrder = (fields: Partial<Order> = {}): Promise<string> =>
  p.createOrder({ status: 'confirmed', provisioningStatus: 'failed', provisioningError: 'SmartVPS buyVps timeout after 3 attempts', ...fields });
const freshOrder = (fields: Partial<Order> = {}): Promise<string> => p.createOrder({ status: 'paid', provider: 'hostycare', packageName: null, plan: 'vps-m', os: 'debian-12', autoProvisioned: false, ...fields });
const activeOrder = (fields: Partial<Order> = {}): Promise<string> => p.createOrder({ status: 'active', provisioningStatus: 'active', ipAddress: '203.0.113.20', ...fields });

async function jobsOf(orderId: string): Promise<string[]> {
  const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'prioritized', 'completed', 'failed']);
  return jobs.filter((job) => job.data.orderId === orderId).map((job) => String(job.id));
}

describe('admin page', () => {
  it('signs in with the admin token into an HttpOnly, SameSite=Strict session the script cannot read, and signs out', async () => {
    const response = await page.goto('/admin');
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');

    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Orders' }).waitFor();

    const cookie = (await context.cookies()).find((c) => c.name === ADMIN_SESSION_COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/', secure: false, expires: -1 });
    expect(cookie?.value).not.toContain(ADMIN_TOKEN);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await page.getByLabel('Admin token').inputValue()).toBe('');

    // The session survives a reload; signing out ends it.
    await page.reload();
    await page.getByRole('heading', { name: 'Orders' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect((await context.cookies()).some((c) => c.name === ADMIN_SESSION_COOKIE)).toBe(false);
  });

  it('refuses a wrong token with an error', async () => {
    await page.goto('/admin');
    await page.getByLabel('Admin token').fill('not-the-admin-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'That admin token is not valid.' }).waitFor();
    expect(await page.getByLabel('Admin token').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#orders-view').isHidden()).toBe(true);
    expect(await context.cookies()).toEqual([]);
  });

  it('shows a red Retry for a failed order; a click shows the spinner and a toast, and the row becomes active', async () => {
    // A realistic table: one of each button state, including a live (delayed) job.
    await p.createOrder({ status: 'pending', provider: 'hostycare', packageName: null, plan: 'vps-l', os: 'ubuntu-24.04' });
    await activeOrder({ provider: 'hostycare', packageName: null, plan: 'vps-s', os: 'almalinux-9', ipAddress: '203.0.113.7' });
    await freshOrder();
    const waiting = await p.createOrder({ packageName: '103.102', plan: '8gb', autoProvisioned: false, provisioningStatus: 'queued' });
    const delayedJob = await queue.add(
      PROVISION_JOB,
      { orderId: waiting, reason: 'payment', requestedAt: new Date().toISOString() },
      { jobId: `${waiting}-e2e`, deduplication: { id: waiting }, delay: 120_000 },
    );
    const orderId = await failedOrder();
    await p.startWorker(config);
    await signIn();

    const retry = actionButton(orderId);
    await retry.filter({ hasText: 'Retry' }).waitFor();
    expect(await retry.getAttribute('data-variant')).toBe('destructive');
    expect(await backgroundOf(retry)).toBe(RED);
    await row(waiting).locator('button.action.is-busy .spinner').waitFor();
    await row(waiting).locator('.col-job', { hasText: 'delayed · next in' }).waitFor();
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(ARTIFACTS, 'admin-orders-before-retry.png') });
    // The README's picture is committed: refreshed only on request, so test runs leave the tree clean.
    if (process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(DOCS_SCREENSHOT)) {
      mkdirSync(dirname(DOCS_SCREENSHOT), { recursive: true });
      copyFileSync(join(ARTIFACTS, 'admin-orders-before-retry.png'), DOCS_SCREENSHOT);
    }

    await retry.click();
    await row(orderId).locator('button.action.is-busy .spinner').waitFor({ state: 'visible' });
    expect(await retry.isDisabled()).toBe(true);
    await page.locator('.toast-success', { hasText: `Provisioning queued for order ${orderId}` }).waitFor();

    await row(orderId).locator('.col-status .badge', { hasText: 'active' }).waitFor({ timeout: 15_000 });
    await retry.waitFor({ state: 'detached' });
    expect(await row(orderId).locator('.col-ip').textContent()).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    await page.screenshot({ path: join(ARTIFACTS, 'admin-orders-after-retry.png') });

    // The detail shows the attempt the click made, with a link to its job in bull-board.
    await row(orderId).getByRole('button', { name: `Details of order ${orderId}` }).click();
    const dialog = page.getByRole('dialog', { name: `Order ${orderId}` });
    const attempt = dialog.locator('#detail-attempts tr[data-outcome="active"]');
    await attempt.waitFor();
    expect(await attempt.locator('td').nth(1).textContent()).toBe('admin');
    const [jobId] = await jobsOf(orderId);
    expect(await attempt.getByRole('link').getAttribute('href')).toBe(`/admin/queues/queue/provision/${jobId}`);
    await page.screenshot({ path: join(ARTIFACTS, 'admin-order-detail.png') });
    expect(p.simulator.stats().buys).toEqual({ [orderId]: 1 });
    await delayedJob.remove();
  });

  it('shows a blue Provision for a fresh paid order and no button for an active one', async () => {
    const fresh = await freshOrder();
    const active = await activeOrder();
    await signIn();

    const provision = actionButton(fresh);
    await provision.filter({ hasText: 'Provision' }).waitFor();
    expect(await provision.getAttribute('data-variant')).toBe('default');
    expect(await backgroundOf(provision)).toBe(BLUE);
    await row(active).waitFor();
    expect(await actionButton(active).count()).toBe(0);
    expect(await row(active).locator('.col-ip').textContent()).toBe('203.0.113.20');
  });

  it('filters by status, provisioning status and provider, and pages with nextCursor', async () => {
    const active = await activeOrder();
    const failed = await failedOrder({ provider: 'hostycare', packageName: null });
    await p.db.orders.insertMany(Array.from({ length: 26 }, () => ({ status: 'pending', provider: 'smartvps', plan: '2gb', os: 'debian-12', packageName: '103.101' })));
    await signIn();
    const rows = page.locator('#orders-body tr');
    await page.locator('#page-label', { hasText: 'Page 1' }).waitFor();
    await waitForCount(rows, 25);

    await page.getByRole('button', { name: 'Older →' }).click();
    await page.locator('#page-label', { hasText: 'Page 2' }).waitFor();
    await waitForCount(rows, 3);
    await row(active).waitFor();
    expect(await page.getByRole('button', { name: 'Older →' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: '← Newer' }).click();
    await waitForCount(rows, 25);

    await page.getByLabel('Provisioning status').selectOption('failed');
    await waitForCount(rows, 1);
    await row(failed).waitFor();
    await page.getByLabel('Provisioning status').selectOption('');
    await page.getByLabel('Status', { exact: true }).selectOption('active');
    await waitForCount(rows, 1);
    await row(active).waitFor();
    await page.getByLabel('Status', { exact: true }).selectOption('');
    await page.getByLabel('Provider').selectOption('hostycare');
    await waitForCount(rows, 1);
    await row(failed).waitFor();
  });

  it('opens the order detail from the keyboard, with the attempt history and the next attempt, and returns focus', async () => {
    const at = new Date(Date.now() - 120_000);
    const orderId = await failedOrder({
      nextAttemptAt: new Date(Date.now() + 60_000),
      attempts: [
        { at, reason: 'payment', jobId: 'job-a', attempt: 1, outcome: 'retrying', error: 'SmartVPS answered 503', durationMs: 1_250 },
        { at: new Date(at.getTime() + 60_000), reason: 'payment', jobId: 'job-a', attempt: 2, outcome: 'failed', error: 'SmartVPS buyVps timeout', durationMs: 15_000 },
      ],
    });
    await signIn();
    const details = row(orderId).getByRole('button', { name: `Details of order ${orderId}` });
    await details.focus();
    await page.keyboard.press('Enter');

    const dialog = page.getByRole('dialog', { name: `Order ${orderId}` });
    await dialog.waitFor();
    const attempts = dialog.locator('#detail-attempts tr');
    await waitForCount(attempts, 2);
    // Newest first: time, reason, attempt, outcome, error, duration, job.
    expect(await attempts.nth(0).locator('td').allTextContents()).toEqual([expect.any(String), 'payment', '2', 'failed', 'SmartVPS buyVps timeout', '15.0 s', 'job-a']);
    expect(await attempts.nth(1).locator('td').nth(4).textContent()).toBe('SmartVPS answered 503');
    await dialog.locator('.fact', { hasText: 'Next attempt' }).locator('dd', { hasText: /in \d+ s/ }).waitFor();
    expect(await dialog.getByRole('link', { name: 'Open the last job in bull-board' }).getAttribute('href')).toBe('/admin/queues/queue/provision/job-a');
    expect(await dialog.getByRole('button', { name: 'Retry' }).isEnabled()).toBe(true);

    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await details.evaluate((element) => element === document.activeElement)).toBe(true);
  });

  it('makes one job from a fast double click', async () => {
    const orderId = await freshOrder();
    await p.startWorker(config);
    await signIn();
    let posts = 0;
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith(`/api/orders/${orderId}/provision`)) posts += 1;
    });

    await actionButton(orderId).filter({ hasText: 'Provision' }).dblclick();
    await row(orderId).locator('.col-status .badge', { hasText: 'active' }).waitFor({ timeout: 15_000 });
    expect(await jobsOf(orderId)).toHaveLength(1);
    expect(posts).toBe(1);
    expect(p.simulator.stats().buys).toEqual({ [orderId]: 1 });
  });

  it('refuses a cookie-only POST without the CSRF header, and a cross-site form gets no cookie at all', async () => {
    const orderId = await failedOrder();
    await signIn();
    const path = `/api/orders/${orderId}/provision`;

    // context.request sends the browser context's cookies, so this is the session cookie alone.
    const bare = await context.request.post(path);
    expect(bare.status()).toBe(403);
    expect(await bare.json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining('x-requested-with') });
    expect(await findLiveProvisionJob(queue, orderId)).toBeNull();

    const signOut = await context.request.delete('/admin/session');
    expect(signOut.status()).toBe(403);

    // A page on another site posts a form at the API: SameSite=Strict keeps the cookie off it.
    const attacker = await context.newPage();
    await attacker.setContent(`<form method="post" action="${api.url}${path}"><button>Win a prize</button></form>`);
    const [answer] = await Promise.all([attacker.waitForResponse((res) => res.url().endsWith(path)), attacker.getByRole('button').click()]);
    expect(answer.status()).toBe(401);
    expect(await findLiveProvisionJob(queue, orderId)).toBeNull();

    // With the header, the same cookie works; Bearer keeps working without any cookie.
    const withHeader = await context.request.post(path, { headers: { 'X-Requested-With': 'vps-admin' } });
    expect(withHeader.status()).toBe(202);
    const bearer = await fetch(`${api.url}/api/orders/${orderId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(bearer.status).toBe(200);
    await bearer.body?.cancel();
    const stale = await fetch(`${api.url}/api/orders`, { headers: { cookie: `${ADMIN_SESSION_COOKIE}=v2.admin.1.${'A'.repeat(43)}` } });
    expect(stale.status).toBe(401);
    await stale.body?.cancel();
  });
});

/** Waits until a locator matches exactly `count` elements. */
async function waitForCount(locator: Locator, count: number): Promise<void> {
  await waitFor(async () => (await locator.count()) === count, { message: `${locator.toString()} to match ${count} elements` });
}
