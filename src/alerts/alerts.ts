import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics';

/** What operators are told about: final failures, orders the sweeper found stuck, a sweeper that stopped running. */
export const ALERT_KINDS = ['failed', 'stuck', 'sweeper_stalled'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface AlertItem {
  orderId?: string;
  text: string;
}

export interface Alerts {
  /** Notes one thing worth telling. Never throws and never waits for the alert endpoint. */
  note(kind: AlertKind, item: AlertItem): void;
  /** Posts what is due now (the timer does this on its own; tests and shutdown call it). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface AlertOptions {
  redis: Redis;
  prefix: string;
  /** Slack-compatible incoming webhook: `POST { text }`. */
  url: string;
  /** Where the admin page is, for links. */
  publicUrl: string;
  logger: Logger;
  metrics?: Metrics;
  /** At most one message per kind per this long, across every process (default a minute). */
  intervalMs?: number;
  /** How often this process looks for something to post. */
  checkEveryMs?: number;
  /** The alert endpoint's time limit: a slow endpoint must not hold anything up. */
  timeoutMs?: number;
}

/** Items kept per kind between messages (the count is exact; the list shows the newest). */
const MAX_ITEMS = 50;
/** Items a message lists; the count says how many there were. */
const LISTED = 10;

/** Takes every pending item and the count of a kind in one step, so two processes never post the same items. */
const TAKE = `
local items = redis.call('LRANGE', KEYS[1], 0, -1)
local count = redis.call('GET', KEYS[2])
redis.call('DEL', KEYS[1], KEYS[2])
return { count or '0', items }`;

const TITLES: Record<AlertKind, (count: number) => string> = {
  failed: (n) => `${n} order${n === 1 ? '' : 's'} failed for good and wait for Retry`,
  stuck: (n) => `${n} order${n === 1 ? ' was' : 's were'} found stuck with no job by the recovery sweeper`,
  sweeper_stalled: () => 'The recovery sweeper is not running',
};

/**
 * Alerts to a Slack-compatible webhook, batched in Redis: any process notes items; a message per kind
 * goes out at most once an interval across all processes (a key set with NX decides who posts), with
 * the count and links to the admin page. Noting is one Redis write, never a wait on the endpoint; a
 * failing endpoint only costs a log line, and its items wait for the next interval.
 */
export function createAlerts(options: AlertOptions): Alerts {
  const intervalMs = options.intervalMs ?? 60_000;
  const key = (kind: AlertKind, part: 'items' | 'count' | 'sent') => `${options.prefix}:alerts:${kind}:${part}`;
  const { redis, logger } = options;

  async function post(kind: AlertKind, count: number, items: AlertItem[]): Promise<boolean> {
    const lines = items.slice(-LISTED).map((item) => `• ${item.orderId ? `<${options.publicUrl}/admin?order=${item.orderId}|${item.orderId}>: ` : ''}${item.text}`);
    const more = count > lines.length ? `\n…and ${count - lines.length} more: <${options.publicUrl}/admin?provisioningStatus=failed|the admin page>` : '';
    const text = `*vps-provisioner: ${TITLES[kind](count)}*\n${lines.join('\n')}${more}`;
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      options.metrics?.alerts.inc({ kind, outcome: 'posted' });
      return true;
    } catch (error) {
      options.metrics?.alerts.inc({ kind, outcome: 'failed' });
      logger.warn({ err: error, kind, count }, 'could not post an alert; it is tried again next interval');
      return false;
    }
  }

  async function flushKind(kind: AlertKind): Promise<void> {
    if ((await redis.llen(key(kind, 'items'))) === 0) return;
    // One message per kind per interval, whoever posts it.
    if ((await redis.set(key(kind, 'sent'), String(Date.now()), 'PX', intervalMs, 'NX')) !== 'OK') return;
    const [countText, raw] = (await redis.eval(TAKE, 2, key(kind, 'items'), key(kind, 'count'))) as [string, string[]];
    const items = raw.map((entry) => JSON.parse(entry) as AlertItem);
    const count = Math.max(Number(countText), items.length);
    if (!(await post(kind, count, items))) {
      // Kept for the next interval, in front of anything noted meanwhile.
      await redis.multi().lpush(key(kind, 'items'), ...[...raw].reverse()).ltrim(key(kind, 'items'), -MAX_ITEMS, -1).incrby(key(kind, 'count'), count).exec();
    }
  }

  let flushing: Promise<void> | undefined;
  const flush = (): Promise<void> => {
    flushing ??= Promise.all(ALERT_KINDS.map((kind) => flushKind(kind).catch((error: unknown) => logger.warn({ err: error, kind }, 'alert flush failed'))))
      .then(() => undefined)
      .finally(() => {
        flushing = undefined;
      });
    return flushing;
  };
  const timer = setInterval(() => void flush(), options.checkEveryMs ?? 5_000);
  timer.unref();

  return {
    note(kind, item) {
      redis
        .multi()
        .rpush(key(kind, 'items'), JSON.stringify(item))
        .ltrim(key(kind, 'items'), -MAX_ITEMS, -1)
        .incr(key(kind, 'count'))
        .exec()
        .catch((error: unknown) => logger.warn({ err: error, kind }, 'could not note an alert'));
    },
    flush,
    async close() {
      clearInterval(timer);
      await flushing;
    },
  };
}

/** Alerts that go nowhere (no ALERT_WEBHOOK_URL). */
export const NO_ALERTS: Alerts = { note: () => undefined, flush: async () => undefined, close: async () => undefined };

/** The Redis key the sweeper stamps at every run. */
export const sweeperLastRunKey = (prefix: string) => `${prefix}:sweeper:last-run`;

/**
 * Watches that the recovery sweeper keeps running (a paused sweeper queue, or no worker at all, would
 * stop all recovery silently): past three intervals without a run, an alert.
 */
export function watchSweeper(options: { redis: Redis; prefix: string; sweepIntervalMs: number; alerts: Alerts; logger: Logger }): { stop(): void } {
  const startedAt = Date.now();
  const limitMs = 3 * options.sweepIntervalMs;
  const check = async () => {
    const last = Number(await options.redis.get(sweeperLastRunKey(options.prefix))) || 0;
    const since = Math.max(last, startedAt);
    if (Date.now() - since <= limitMs) return;
    const minutes = ((Date.now() - since) / 60_000).toFixed(1);
    options.alerts.note('sweeper_stalled', {
      text: `No recovery sweep for ${minutes} min (${last ? `last at ${new Date(last).toISOString()}` : 'none seen'}): is the recovery-sweeper queue paused in bull-board, or is no worker running?`,
    });
  };
  const timer = setInterval(() => void check().catch((error: unknown) => options.logger.warn({ err: error }, 'sweeper watch failed')), options.sweepIntervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
