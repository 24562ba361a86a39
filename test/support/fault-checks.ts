import { Types } from 'mongoose';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SimulatorStats } from '../../dev/simulator/simulator';
import type { Order } from '../../src/db/order-model';
import type { AttemptRecord } from '../../src/order-state/order-state';

/**
 * An order's attempt history is whole: it ends with `active` (once), and within each job the attempt
 * numbers follow what the entries say: a `retrying` entry is followed by the next attempt, anything
 * else (`aborted`, `died`, a step put off) by the same one, and a job's first entry is its attempt 1.
 * A used attempt with no entry, or an entry written for an attempt that was not used, breaks it.
 */
export function attemptHistoryProblems(orderId: string, attempts: readonly AttemptRecord[]): string[] {
  const problems: string[] = [];
  const last = attempts.at(-1);
  if (!last) return [`${orderId}: no attempt in its history`];
  if (last.outcome !== 'active') problems.push(`${orderId}: history ends with ${last.outcome} (${last.error ?? 'no error'})`);
  const actives = attempts.filter((entry) => entry.outcome === 'active').length;
  if (actives !== 1) problems.push(`${orderId}: ${actives} active entries in its history`);
  const previous = new Map<string, AttemptRecord>();
  for (const entry of attempts) {
    if (entry.attempt === 0) continue; // the sweeper's entries are not attempts
    const before = previous.get(entry.jobId);
    const expected = before ? before.attempt + (before.outcome === 'retrying' ? 1 : 0) : 1;
    if (entry.attempt !== expected) {
      const after = before ? `after ${before.outcome} of attempt ${before.attempt}` : 'as its first entry';
      problems.push(`${orderId}: job ${entry.jobId} has ${entry.outcome} of attempt ${entry.attempt} ${after} (expected attempt ${expected})`);
    }
    previous.set(entry.jobId, entry);
  }
  return problems;
}

/** What every fault test demands at the end: each order active with its IP, bought once, never two buys at once on a package. */
export interface SettlementReport {
  violations: string[];
  active: number;
  /** Orders bought more than once. */
  doubleBuys: number;
  /** Buys that arrived while another buy on the same package was processed. */
  concurrentBuys: number;
  /** Orders not active at the end (a lost payment, a lost job, a failure). */
  lost: number;
  /** Attempt entries over all orders, and orders whose history is not whole. */
  attemptEntries: number;
  brokenHistories: number;
}

export function checkSettlement(orders: readonly Order[], stats: SimulatorStats, expected: number): SettlementReport {
  const violations: string[] = [];
  let active = 0;
  let doubleBuys = 0;
  let brokenHistories = 0;
  let attemptEntries = 0;
  if (orders.length !== expected) violations.push(`${orders.length} orders found, ${expected} expected`);
  for (const order of orders) {
    const id = String(order._id);
    const buys = stats.buys[id] ?? 0;
    if (buys > 1) {
      doubleBuys += 1;
      violations.push(`${id} bought ${buys} times`);
    }
    if (order.provisioningStatus === 'active' && order.status === 'active' && order.ipAddress) {
      active += 1;
      if (buys !== 1) violations.push(`${id} is active but was bought ${buys} times`);
    } else {
      violations.push(`${id} ended ${order.status}/${order.provisioningStatus}: ${order.provisioningError ?? 'no error'}`);
    }
    attemptEntries += order.attempts.length;
    const problems = attemptHistoryProblems(id, order.attempts);
    if (problems.length > 0) brokenHistories += 1;
    violations.push(...problems);
  }
  const concurrentBuys = Object.values(stats.concurrentBuyViolations).reduce((sum, n) => sum + n, 0);
  for (const [pkg, count] of Object.entries(stats.concurrentBuyViolations)) violations.push(`package ${pkg}: ${count} buys while another was processed`);
  return { violations, active, doubleBuys, concurrentBuys, lost: orders.length - active, attemptEntries, brokenHistories };
}

/** Pending orders as the web app writes them: every `hostycareEvery`-th a Hostycare one, the rest SmartVPS over `packages` in turn. */
export function pendingOrders(
  count: number,
  packages: readonly string[],
  hostycareEvery: number,
): { _id: Types.ObjectId; status: 'pending'; provider: 'smartvps' | 'hostycare'; packageName: string | null; plan: string; os: string }[] {
  return Array.from({ length: count }, (_, i) => {
    const hostycare = i % hostycareEvery === 0;
    return {
      _id: new Types.ObjectId(),
      status: 'pending' as const,
      provider: hostycare ? ('hostycare' as const) : ('smartvps' as const),
      packageName: hostycare ? null : (packages[i % packages.length] as string),
      plan: hostycare ? 'vps-2' : '4gb',
      os: 'ubuntu-22.04',
    };
  });
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Logs and the violations of a run, under test-artifacts/<name>/ (CI keeps them). */
export function saveArtifacts(name: string, files: Record<string, string>): string {
  const dir = join(__dirname, '..', '..', 'test-artifacts', name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

/** Collects pino's output in memory (for a process under test running inside jest). */
export class LogCapture {
  private readonly chunks: string[] = [];
  write(line: string): void {
    this.chunks.push(line);
  }
  text(): string {
    return this.chunks.join('');
  }
}
