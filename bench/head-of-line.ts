import { seedOrders, type BenchInfra, type SeedOrder } from './lib/infra';
import type { BenchRow } from './lib/report';
import { benchConfig, completions, dropQueue, enqueueAll, startWorker } from './lib/worker';

const HOT_PACKAGE = 'hot-1';

/** The orders that are not on the hot package: 20 other SmartVPS packages and Hostycare, in turn. */
function otherOrder(i: number): SeedOrder {
  const lane = i % 21;
  return lane === 20 ? { provider: 'hostycare' } : { provider: 'smartvps', packageName: `other-${lane}` };
}

/** Time (ms) until every order that is not on the hot package is provisioned. */
async function timeOthers(infra: BenchInfra, label: string, orders: SeedOrder[]): Promise<number> {
  await infra.simulator.reset();
  await infra.simulator.faults({ latencyMs: 100, ipDelayMs: 0 });
  const config = benchConfig(infra, label);
  const db = await infra.connect(label);
  try {
    const ids = await seedOrders(db, orders);
    const others = new Set(ids.filter((_, i) => orders[i]?.packageName !== HOT_PACKAGE));
    await enqueueAll(config, ids);
    const worker = await startWorker(config, db);
    try {
      return await completions(worker, others.size, 600_000, (orderId) => others.has(orderId));
    } finally {
      // Stop first (the hot package's attempt in flight is handed back), then drop what is left.
      await worker.close();
      await dropQueue(config);
    }
  } finally {
    await db.close();
    await infra.release(label);
  }
}

/**
 * Head-of-line blocking: half the orders on one hot SmartVPS package (its lock serialises them, at
 * 100 ms simulator latency per call), half over 20 other packages and Hostycare. The others must
 * finish nearly as fast as they do alone: waiting for a busy lock must not hold worker slots.
 */
export async function benchHeadOfLine(infra: BenchInfra, { orders }: { orders: number }): Promise<BenchRow[]> {
  const half = Math.floor(orders / 2);
  const others = Array.from({ length: half }, (_, i) => otherOrder(i));
  // Interleaved, hot first: the hot package's jobs are always at the head of the queue.
  const mixed = others.flatMap((other) => [{ provider: 'smartvps', packageName: HOT_PACKAGE } satisfies SeedOrder, other]);
  // "Alone" before and after the mixed run, averaged: the machine's load drifts, and both sides see it.
  const aloneBefore = await timeOthers(infra, 'hol-alone-1', others);
  const mixedMs = await timeOthers(infra, 'hol-mixed', mixed);
  const aloneAfter = await timeOthers(infra, 'hol-alone-2', others);
  const aloneMs = (aloneBefore + aloneAfter) / 2;
  return [
    {
      bench: '3 head-of-line',
      metric: `${half} others beside ${half} on one hot package`,
      unit: 's',
      value: mixedMs / 1000,
      baseline: { label: 'others alone', value: aloneMs / 1000 },
      target: '≤ 1.2× alone',
      pass: mixedMs <= 1.2 * aloneMs,
      note: `alone ${(aloneBefore / 1000).toFixed(1)} s before and ${(aloneAfter / 1000).toFixed(1)} s after the mixed run`,
    },
  ];
}
