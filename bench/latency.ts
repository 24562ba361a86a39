import { Types } from 'mongoose';
import { Webhook } from 'standardwebhooks';
import { SIMULATOR_API_KEYS } from '../dev/simulator/simulator';
import type { ProvisionQueue } from '../src/queue/provision-queue';
import { spawnApi } from './enqueue';
import { seedOrders, sleep, until, type BenchInfra } from './lib/infra';
import { percentile, type BenchRow } from './lib/report';
import { benchConfig, startWorker } from './lib/worker';

const WEBHOOK_SECRET = `whsec_${Buffer.from('bench-webhook-secret-0123456789').toString('base64')}`;

/** When the simulator received the buy for an order: the purchase's creation time (latency 0). */
async function buyReceivedAt(simulatorUrl: string, orderId: string): Promise<number | null> {
  const res = await fetch(`${simulatorUrl}/smartvps/v1/servers?reference=${orderId}`, { headers: { 'x-api-key': SIMULATOR_API_KEYS.smartvps } });
  const body = (await res.json()) as { servers: { created_at: string }[] };
  const created = body.servers[0]?.created_at;
  return created ? Date.parse(created) : null;
}

/** Where the time goes, by the jobs' own timestamps: webhook → job added → worker took it → buy received. */
async function stageBreakdown(queue: ProvisionQueue, samples: { orderId: string; sentAt: number; receivedAt: number }[]): Promise<string> {
  const jobs = await queue.getJobs(['completed'], 0, -1);
  const byOrder = new Map(jobs.map((job) => [job.data.orderId, job]));
  const parts = { webhook: [] as number[], pickup: [] as number[], worker: [] as number[] };
  for (const sample of samples) {
    const job = byOrder.get(sample.orderId);
    if (!job?.processedOn) continue;
    parts.webhook.push(job.timestamp - sample.sentAt);
    parts.pickup.push(job.processedOn - job.timestamp);
    parts.worker.push(sample.receivedAt - job.processedOn);
  }
  const show = (values: number[]) => `p50 ${percentile(values, 50)} / p99 ${percentile(values, 99)} ms`;
  return `webhook sent → job added ${show(parts.webhook)}; job added → worker took it ${show(parts.pickup)}; worker took it → buy received ${show(parts.worker)}`;
}

/**
 * Latency on an idle system: a signed payment webhook sent to the API (its own process) → the
 * simulator receives the buy from the worker. One webhook at a time; each order on its own package,
 * so no lock wait is measured.
 */
export async function benchLatency(infra: BenchInfra, { samples }: { samples: number }): Promise<BenchRow[]> {
  await infra.simulator.reset();
  await infra.simulator.faults({ latencyMs: 0, ipDelayMs: 0 });
  const config = benchConfig(infra, 'latency');
  const db = await infra.connect('latency');
  const api = await spawnApi(infra, 'latency', { WEBHOOK_SECRET });
  const worker = await startWorker(config, db);
  const webhook = new Webhook(WEBHOOK_SECRET);
  const latencies: number[] = [];
  const samplesAt: { orderId: string; sentAt: number; receivedAt: number }[] = [];
  let stages: string;
  try {
    const ids = await seedOrders(
      db,
      Array.from({ length: samples + 10 }, (_, i) => ({ provider: 'smartvps' as const, packageName: `lat-${i}`, status: 'pending' as const })),
    );
    for (const [i, orderId] of ids.entries()) {
      const id = `msg_${new Types.ObjectId().toString()}`;
      const payload = JSON.stringify({ type: 'payment.succeeded', data: { orderId, amount: 10, currency: 'EUR' } });
      const sentAt = Date.now();
      const res = await fetch(`${api.url}/api/webhooks/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(sentAt / 1000)), 'webhook-signature': webhook.sign(id, new Date(sentAt), payload) },
        body: payload,
      });
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
      await res.body?.cancel();
      const active = await until(async () => (await db.orders.exists({ _id: orderId, provisioningStatus: 'active' })) !== null, 10_000, 5);
      if (!active) throw new Error(`order ${orderId} was not provisioned within 10 s`);
      const received = await buyReceivedAt(infra.simulatorUrl, orderId);
      if (received === null) throw new Error(`the simulator has no purchase for ${orderId}`);
      // The first few warm the code paths and connections up.
      if (i >= 10) {
        latencies.push(received - sentAt);
        samplesAt.push({ orderId, sentAt, receivedAt: received });
      }
      await sleep(10);
    }
    stages = await stageBreakdown(worker.queue, samplesAt);
  } finally {
    await worker.close();
    await api.child.stop();
    await db.close();
    await infra.release('latency');
  }
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  return [
    { bench: '4 latency', metric: `webhook sent → buy received, p50 (${samples})`, unit: 'ms', value: p50, target: '≤ 20 ms', pass: p50 <= 20, note: stages },
    { bench: '4 latency', metric: `webhook sent → buy received, p99 (${samples})`, unit: 'ms', value: p99, target: '≤ 100 ms', pass: p99 <= 100 },
  ];
}
