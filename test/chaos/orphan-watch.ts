import { setTimeout as sleep } from 'node:timers/promises';
import type { OrderModel } from '../../src/db/order-model';
import { LIVE_JOB_STATES } from '../../src/domain/statuses';
import { findLiveProvisionJob, type ProvisionQueue } from '../../src/queue/provision-queue';

/**
 * Watches for unfinished orders (`queued`/`provisioning`) with no live job, once a second, and keeps
 * how long each has been so without a break. The design promises none stays so for long: the sweeper
 * re-enqueues it.
 */
export interface OrphanWatch {
  /** How many unfinished orders had no live job at the last look. */
  readonly orphans: number;
  /** The longest unbroken time an order went unfinished without a live job (restart-lost orders aside, see below). */
  readonly longest: { ms: number; orderId: string };
  /** When every order that `redisBack` named had a live job again (or was done); null until then. */
  readonly restartRecoveredAt: number | null;
  /** Redis is down: nothing can be looked at, and every job is lost anyway. */
  redisDown(): void;
  /**
   * Redis is back, empty: `lost` (the orders unfinished then) count as orphans since `at`. Until each
   * has a job again it counts towards `restartRecoveredAt`, not `longest`.
   */
  redisBack(lost: Iterable<string>, at: number): void;
  stop(): Promise<void>;
}

export function watchOrphans(deps: { orders: OrderModel; queue: ProvisionQueue; everyMs: number }): OrphanWatch {
  const since = new Map<string, number>();
  let restartLost: Set<string> | null = null;
  let down = false;
  /** Bumped when Redis goes down: a look that began before must not count. */
  let epoch = 0;
  let running = true;
  const state = { orphans: 0, longest: { ms: 0, orderId: '' }, restartRecoveredAt: null as number | null };

  async function look(): Promise<void> {
    const startedIn = epoch;
    const unfinished = await deps.orders.find({ provisioningStatus: { $in: ['queued', 'provisioning'] } }).select({ _id: 1 }).lean();
    // A cheap first look (is the job holding the order's deduplication key among the live ones?), then
    // the API's own check for any order that looks orphaned.
    const liveJobIds = new Set(await deps.queue.getRanges([...LIVE_JOB_STATES]));
    const live = await Promise.all(
      unfinished.map(async ({ _id }) => {
        const jobId = await deps.queue.getDeduplicationJobId(String(_id));
        return Boolean((jobId && liveJobIds.has(jobId)) || (await findLiveProvisionJob(deps.queue, String(_id))));
      }),
    );
    if (down || epoch !== startedIn) return; // Redis went away while we looked: this look proves nothing
    const seen = new Set<string>();
    for (const [index, { _id }] of unfinished.entries()) {
      const orderId = String(_id);
      seen.add(orderId);
      if (live[index]) since.delete(orderId);
      else if (!since.has(orderId)) since.set(orderId, Date.now());
    }
    for (const orderId of since.keys()) if (!seen.has(orderId)) since.delete(orderId);
    state.orphans = since.size;
    if (restartLost && state.restartRecoveredAt === null) {
      for (const orderId of restartLost) if (!since.has(orderId)) restartLost.delete(orderId);
      if (restartLost.size === 0) state.restartRecoveredAt = Date.now();
    }
    for (const [orderId, start] of since) {
      if (restartLost?.has(orderId)) continue;
      if (Date.now() - start > state.longest.ms) state.longest = { ms: Date.now() - start, orderId };
    }
  }

  const loop = (async () => {
    while (running) {
      await sleep(deps.everyMs);
      if (down) continue;
      await look().catch(() => undefined); // Redis went away mid-look; the next round starts over
    }
  })();

  return {
    get orphans() {
      return state.orphans;
    },
    get longest() {
      return state.longest;
    },
    get restartRecoveredAt() {
      return state.restartRecoveredAt;
    },
    redisDown() {
      down = true;
      epoch += 1;
      since.clear();
    },
    redisBack(lost, at) {
      restartLost = new Set(lost);
      for (const orderId of restartLost) since.set(orderId, at);
      down = false;
    },
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
