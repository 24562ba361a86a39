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

/** A named admin: the page shows who is signed in, and the audit log names them. */
const ADMIN_NAME = 'alice';
const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';
const ADMIN_TOKENS = `${ADMIN_NAME}:${ADMIN_TOKEN},bob:e2e-second-admin-token-0123456789`;
const ROOT = join(__dirname, '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const DOCS_SCREENSHOT = join(ROOT, 'docs', 'admin-orders.png');
const DOCS_MOBILE_SCREENSHOT = join(ROOT, 'docs', 'admin-orders-mobile.png');
/** A phone held upright: the page must not scroll sideways at this width. */
const PHONE = { width: 414, height: 896 };
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
  config = p.config({ ADMIN_TOKENS });
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
const searchBox = (): Locator => page.getByRole('searchbox', { name: 'Search' });
const runNowButton = (orderId: string): Locator => row(orderId).getByRole('button', { name: 'Run now' });
const activeBadge = (orderId: string): Locator => row(orderId).locator('.col-status .badge', { hasText: 'active' });
const actionButton = (orderId: string): Locator => row(orderId).locator('button.action');
const backgroundOf = (locator: Locator): Promise<string> => locator.evaluate((element) => getComputedStyle(element).backgroundColor);

async function signIn(path = '/admin'): Promise<void> {
  await page.goto(path);
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Orders' }).waitFor();
  await page.locator('#who-name', { hasText: ADMIN_NAME }).waitFor();
}

/** Saves a screenshot in test-artifacts; the README's copy in docs/ only with UPDATE_SCREENSHOTS=1 (or when missing). */
async function screenshot(name: string, docsCopy?: string): Promise<void> {
  await page.mouse.move(0, 0);
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path });
  if (docsCopy && (process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(docsCopy))) {
    mkdirSync(dirname(docsCopy), { recursive: true });
    copyFileSync(path, docsCopy);
  }
}

/** The page is no wider than the screen: nothing to scroll sideways. */
async function expectNoSidewaysScroll(width: number): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
}

/** The element is on screen horizontally (reachable without scrolling sideways). */
async function expectWithinWidth(locator: Locator, width: number): Promise<void> {
  const box = await locator.boundingBox();
  expect(box).not.toBeNull();
  expect(box?.x).toBeGreaterThanOrEqual(0);
  expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(width);
}

/** A queued order whose live job waits out a long delay (as after a backoff), so it can be hurried. */
async function delayedJobFor(orderId: string, delayMs = 120_000): Promise<void> {
  await queue.add(
    PROVISION_JOB,
    { orderId, reason: 'payment', requestedAt: new Date().toISOString() },
    { jobId: `${orderId}-e2e`, deduplication: { id: orderId }, delay: delayMs },
  );
}

const failedOrder = (fields: Partial<Order> = {}): Promise<string> =>
  p.createOrder({ status: 'confirmed', provisioningStatus: 'failed', provisioningError: 'SmartVPS buyVps timeout after 3 attempts', customerEmail: 'dana@example.com', ...fields });
const freshOrder = (fields: Partial<Order> = {}): Promise<string> => p.createOrder({ status: 'paid', provider: 'hostycare', packageName: null, plan: 'vps-m', os: 'debian-12', autoProvisioned: false, ...fields });
const activeOrder = (fields: Partial<Order> = {}): Promise<string> => p.createOrder({ status: 'active', provisioningStatus: 'active', ipAddress: '203.0.113.20', ...fields });

async function jobsOf(orderId: string): Promise<string[]> {
  const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'prioritized', 'completed', 'failed']);
  return jobs.filter((job) => job.data.orderId === orderId).map((job) => String(job.id));
}

describe('admin page', () => {
  it('signs in a named admin with their token into an HttpOnly, SameSite=Strict session the script cannot read, shows who, and signs out', async () => {
    const response = await page.goto('/admin');
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');

    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Orders' }).waitFor();
    await page.getByRole('navigation', { name: 'Admin tools' }).getByText(`Signed in as ${ADMIN_NAME}`).waitFor();

    const cookie = (await context.cookies()).find((c) => c.name === ADMIN_SESSION_COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/', secure: false, expires: -1 });
    expect(cookie?.value).not.toContain(ADMIN_TOKEN);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await page.getByLabel('Admin token').inputValue()).toBe('');

    // The session survives a reload (GET /admin/session says who it is); signing out ends it.
    await page.reload();
    await page.getByRole('heading', { name: 'Orders' }).waitFor();
    expect(await page.locator('#who-name').textContent()).toBe(ADMIN_NAME);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page.locator('#who').isHidden()).toBe(true);
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

  it('shows a red Retry for a failed order; a click shows the spinner and a toast, the row becomes active, and the detail shows the audit entry', async () => {
    // A realistic table: one of each button state, including a live (delayed) job that Run now can hurry.
    await p.createOrder({ status: 'pending', provider: 'hostycare', packageName: null, plan: 'vps-l', os: 'ubuntu-24.04', customerEmail: 'lee@example.net' });
    await activeOrder({ provider: 'hostycare', packageName: null, plan: 'vps-s', os: 'almalinux-9', ipAddress: '203.0.113.7', customerEmail: 'sam.okafor@example.org' });
    await freshOrder();
    await failedOrder({ provider: 'hostycare', packageName: null, plan: 'vps-m', os: 'debian-12', provisioningError: 'Hostycare buy failed: 422 out of stock', customerEmail: 'ops@acme.example' });
    const waiting = await p.createOrder({ packageName: '103.102', plan: '8gb', autoProvisioned: false, provisioningStatus: 'queued', customerEmail: 'mia@example.com' });
    await delayedJobFor(waiting);
    const orderId = await failedOrder();
    await p.startWorker(config);
    await signIn();

    const retry = actionButton(orderId);
    await retry.filter({ hasText: 'Retry' }).waitFor();
    expect(await retry.getAttribute('data-variant')).toBe('destructive');
    expect(await backgroundOf(retry)).toBe(RED);
    // Each row names the customer and the provider as people know it.
    expect(await row(orderId).locator('.col-order .email').textContent()).toBe('dana@example.com');
    expect(await row(orderId).locator('.col-plan .provider').textContent()).toBe('SmartVPS');
    await row(waiting).locator('button.action.is-busy .spinner').waitFor();
    await row(waiting).locator('.col-job', { hasText: 'delayed · next in' }).waitFor();
    await row(waiting).getByRole('button', { name: 'Run now' }).waitFor();
    expect(await row(orderId).getByRole('button', { name: 'Run now' }).count()).toBe(0);
    await row(orderId).getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Retry selected (1)' }).waitFor();
    // The README's picture is committed: refreshed only on request, so test runs leave the tree clean.
    await screenshot('admin-orders-before-retry.png', DOCS_SCREENSHOT);
    await row(orderId).getByRole('checkbox').uncheck();

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
    // Beside it, the audit log: alice's Retry, queued, with its job.
    const entry = dialog.locator(`#detail-audit tr[data-actor="${ADMIN_NAME}"][data-action="provision"]`);
    await entry.waitFor();
    expect(await entry.locator('td').allTextContents()).toEqual([expect.any(String), ADMIN_NAME, 'Provision / Retry', 'queued', jobId]);
    await screenshot('admin-order-detail.png');
    expect(p.simulator.stats().buys).toEqual({ [orderId]: 1 });
    await (await queue.getJob(`${waiting}-e2e`))?.remove();
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
    expect(await row(fresh).locator('.col-plan .provider').textContent()).toBe('Hostycare');
    // No customer email stored: none shown.
    expect(await row(fresh).locator('.email').isHidden()).toBe(true);
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
    await page.getByLabel('Provider').selectOption('');
    await waitForCount(rows, 25);

    // Search by a customer's email (any case), with the filters; then by order id.
    const theirActive = await activeOrder({ customerEmail: 'night.owl@example.com' });
    const theirFailed = await failedOrder({ customerEmail: 'night.owl@example.com' });
    await searchBox().fill('Night.Owl@Example.com');
    await searchBox().press('Enter');
    await waitForCount(rows, 2);
    await row(theirActive).waitFor();
    await page.getByLabel('Provisioning status').selectOption('failed');
    await waitForCount(rows, 1);
    await row(theirFailed).waitFor();
    expect(new URL(page.url()).searchParams.get('q')).toBe('Night.Owl@Example.com');
    await page.getByLabel('Provisioning status').selectOption('');
    await searchBox().fill(failed);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await waitForCount(rows, 1);
    await row(failed).waitFor();
    await searchBox().fill('nobody@example.com');
    await searchBox().press('Enter');
    await page.getByText('No orders match the search “nobody@example.com”').waitFor();
    // Clearing the search shows everything again.
    await searchBox().fill('');
    await waitForCount(rows, 25);
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

  it('retries every failed order of the current filters after a dry run and a confirmation with the count, and shows the counts', async () => {
    const failed = [await failedOrder(), await failedOrder({ customerEmail: 'kim@example.com' }), await failedOrder({ status: 'paid' })];
    const otherProvider = await failedOrder({ provider: 'hostycare', packageName: null });
    await activeOrder();
    await p.startWorker(config);
    // A link pre-sets the filters (the alerts link to the page like this).
    await signIn('/admin?provider=smartvps');
    expect(await page.getByLabel('Provider').inputValue()).toBe('smartvps');
    await waitForCount(page.locator('#orders-body tr'), 4);
    const retryAllFailed = page.getByRole('button', { name: 'Retry all failed' });

    // Asked first, with the count; Escape changes nothing.
    await retryAllFailed.click();
    const confirm = page.getByRole('dialog', { name: 'Retry 3 failed orders?' });
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain('Every failed order with provider SmartVPS.');
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'hidden' });
    expect(await jobsOf(failed[0] as string)).toEqual([]);

    await retryAllFailed.click();
    await confirm.waitFor();
    await screenshot('admin-bulk-retry-confirm.png');
    await confirm.getByRole('button', { name: 'Retry 3 orders' }).click();
    await page.locator('.toast-success', { hasText: 'Bulk Retry: 3 queued.' }).waitFor();
    for (const orderId of failed) await activeBadge(orderId).waitFor({ timeout: 15_000 });
    // The other provider's failed order was outside the filters.
    expect((await p.order(otherProvider)).provisioningStatus).toBe('failed');
    expect(await jobsOf(otherProvider)).toEqual([]);
  });

  it('runs a job waiting out its backoff at once with Run now, and audits it under the admin', async () => {
    // A worker that waits a minute after a failed attempt, and a provider whose buys fail for now.
    const patient = p.config({ ADMIN_TOKENS, QUEUE_PREFIX: config.queuePrefix, PROVISION_BACKOFF_MS: '60000' });
    p.simulator.setFaults({ failRate: 1, ops: ['buy'] });
    const orderId = await failedOrder();
    await p.startWorker(patient);
    await signIn();

    await actionButton(orderId).filter({ hasText: 'Retry' }).click();
    await row(orderId).locator('.col-job', { hasText: /delayed · next in \d+ s/ }).waitFor();
    const runNow = runNowButton(orderId);
    p.simulator.setFaults({ failRate: 0 });
    await runNow.click();
    await page.locator('.toast-success', { hasText: `The job of order ${orderId} runs now.` }).waitFor();
    await activeBadge(orderId).waitFor({ timeout: 15_000 });
    await runNow.waitFor({ state: 'detached' });
    expect(p.simulator.stats().buys).toEqual({ [orderId]: 1 });

    await row(orderId).getByRole('button', { name: `Details of order ${orderId}` }).click();
    const dialog = page.getByRole('dialog', { name: `Order ${orderId}` });
    await dialog.locator(`#detail-audit tr[data-actor="${ADMIN_NAME}"][data-action="retry_now"]`, { hasText: 'promoted' }).waitFor();
    await dialog.locator(`#detail-audit tr[data-actor="${ADMIN_NAME}"][data-action="provision"]`, { hasText: 'queued' }).waitFor();
  });

  it('opens the order of a link (/admin?order=<id>) once signed in, and keeps the address in step', async () => {
    const orderId = await failedOrder();
    await activeOrder();
    await page.goto(`/admin?order=${orderId}`);
    await page.getByText(`Sign in to open order ${orderId}.`).waitFor();
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();

    const dialog = page.getByRole('dialog', { name: `Order ${orderId}` });
    await dialog.locator('.fact', { hasText: 'Customer email' }).locator('dd', { hasText: 'dana@example.com' }).waitFor();
    await dialog.locator('#detail-no-audit', { hasText: 'No audit entries yet.' }).waitFor();
    expect(new URL(page.url()).searchParams.get('order')).toBe(orderId);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });
    // The address follows in the dialog's close event, which the browser fires a moment after hiding it.
    await page.waitForURL((url) => !url.searchParams.has('order'));

    // The alerts' other link: the failed orders.
    await page.goto('/admin?provisioningStatus=failed');
    await page.getByRole('heading', { name: 'Orders' }).waitFor();
    expect(await page.getByLabel('Provisioning status').inputValue()).toBe('failed');
    await row(orderId).waitFor();
    await waitForCount(page.locator('#orders-body tr'), 1);
  });

  it('fits a 414-pixel-wide phone: no sideways scroll, and Retry, Run now and bulk Retry within reach and working', async () => {
    await page.setViewportSize(PHONE);
    // Newest first: the failed orders and the delayed job come first on the screen.
    await activeOrder({ customerEmail: 'sam.okafor@example.org' });
    const three = await failedOrder({ provider: 'hostycare', packageName: null, plan: 'vps-m', os: 'debian-12' });
    const two = await failedOrder();
    const waiting = await p.createOrder({ packageName: '103.102', plan: '8gb', autoProvisioned: false, provisioningStatus: 'queued', customerEmail: 'mia@example.com' });
    await delayedJobFor(waiting);
    const one = await failedOrder({ customerEmail: 'a.rather.long.customer.address.for.wrapping@example-hosting-company.com' });
    await p.startWorker(config);

    await page.goto('/admin');
    await page.getByLabel('Admin token').waitFor();
    await expectNoSidewaysScroll(PHONE.width);
    await signIn();
    await runNowButton(waiting).waitFor();
    await expectNoSidewaysScroll(PHONE.width);
    const retrySelected = page.getByRole('button', { name: /^Retry selected/ });
    for (const control of [
      actionButton(one),
      runNowButton(waiting),
      row(two).getByRole('checkbox'),
      row(one).getByRole('button', { name: `Details of order ${one}` }),
      retrySelected,
      page.getByRole('button', { name: 'Retry all failed' }),
      page.getByRole('button', { name: 'Sign out' }),
      searchBox(),
    ]) {
      await expectWithinWidth(control, PHONE.width);
    }
    await screenshot('admin-orders-mobile.png', DOCS_MOBILE_SCREENSHOT);

    await actionButton(one).click();
    await page.locator('.toast-success', { hasText: `Provisioning queued for order ${one}` }).waitFor();
    await runNowButton(waiting).click();
    await page.locator('.toast-success', { hasText: `The job of order ${waiting} runs now.` }).waitFor();

    await row(two).getByRole('checkbox').check();
    await row(three).getByRole('checkbox').check();
    await retrySelected.filter({ hasText: 'Retry selected (2)' }).click();
    const confirm = page.getByRole('dialog', { name: 'Retry 2 orders?' });
    const yes = confirm.getByRole('button', { name: 'Retry 2 orders' });
    await yes.waitFor();
    await expectWithinWidth(yes, PHONE.width);
    await yes.click();
    await page.locator('.toast-success', { hasText: 'Bulk Retry: 2 queued.' }).waitFor();
    for (const orderId of [one, two, three, waiting]) await activeBadge(orderId).waitFor({ timeout: 15_000 });
    await expectNoSidewaysScroll(PHONE.width);

    // The detail fits too, its tables as cards.
    await row(two).getByRole('button', { name: `Details of order ${two}` }).click();
    const dialog = page.getByRole('dialog', { name: `Order ${two}` });
    await dialog.locator(`#detail-audit tr[data-actor="${ADMIN_NAME}"]`, { hasText: 'Provision / Retry (bulk)' }).waitFor();
    await expectWithinWidth(dialog, PHONE.width);
    expect(await dialog.evaluate((element) => element.scrollWidth <= element.clientWidth)).toBe(true);
    await expectNoSidewaysScroll(PHONE.width);
    await screenshot('admin-order-detail-mobile.png');
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
