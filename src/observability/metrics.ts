import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Metric names are stable strings: dashboards and alerts depend on them. */
export const METRIC = {
  jobs: 'vps_provision_jobs_total',
  attemptDuration: 'vps_provision_attempt_duration_seconds',
  lockWait: 'vps_package_lock_wait_seconds',
  lockPostponed: 'vps_package_lock_postponed_total',
  providerCall: 'vps_provider_call_duration_seconds',
  queueDepth: 'vps_provision_queue_jobs',
  sweeperRecovered: 'vps_sweeper_recovered_total',
  webhooks: 'vps_payment_webhooks_total',
  httpRequests: 'vps_http_request_duration_seconds',
  eventDeliveries: 'vps_order_event_deliveries_total',
  alerts: 'vps_alerts_total',
} as const;

/** The provision queue's job counts by state, read when Prometheus scrapes. */
export type QueueDepthSource = () => Promise<Record<string, number>>;

export interface Metrics {
  registry: Registry;
  /** Finished provisioning attempts by outcome (an order's job may make several attempts). */
  jobs: Counter<'outcome' | 'provider'>;
  attemptDuration: Histogram<'outcome' | 'provider'>;
  lockWait: Histogram<'package'>;
  lockPostponed: Counter<'package'>;
  providerCall: Histogram<'provider' | 'operation' | 'outcome'>;
  queueDepth: Gauge<'state'>;
  sweeperRecovered: Counter<'action'>;
  webhooks: Counter<'outcome'>;
  httpRequests: Histogram<'method' | 'route' | 'status'>;
  eventDeliveries: Counter<'type' | 'outcome'>;
  alerts: Counter<'kind' | 'outcome'>;
  /** Where the queue depth gauge reads from on each scrape (the API's and workers' queue). */
  watchQueueDepth(source: QueueDepthSource): void;
}

const QUEUE_DEPTH_TIMEOUT_MS = 1_000;

/** A registry per process (and per test), so tests never share counters. */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let depthSource: QueueDepthSource | undefined;
  return {
    registry,
    jobs: new Counter({
      name: METRIC.jobs,
      help: 'Provisioning attempts that ended, by outcome (active, retrying, failed, skipped, aborted, died); one order may make several attempts',
      labelNames: ['outcome', 'provider'],
      registers,
    }),
    attemptDuration: new Histogram({
      name: METRIC.attemptDuration,
      help: 'Time from an attempt taking its order to its end, by outcome; includes waiting for the IP',
      labelNames: ['outcome', 'provider'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    }),
    lockWait: new Histogram({
      name: METRIC.lockWait,
      help: 'Time from a job first asking for a SmartVPS package lock to holding it',
      labelNames: ['package'],
      buckets: [0.001, 0.01, 0.1, 1, 5, 15, 60, 300, 900],
      registers,
    }),
    lockPostponed: new Counter({ name: METRIC.lockPostponed, help: 'Times a job found its package lock busy and waited (no attempt used)', labelNames: ['package'], registers }),
    providerCall: new Histogram({
      name: METRIC.providerCall,
      help: 'Provider API calls (find, buy, status) by outcome, with their latency',
      labelNames: ['provider', 'operation', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    queueDepth: new Gauge({
      name: METRIC.queueDepth,
      help: 'Provision jobs by state (one live job per order being provisioned), read from Redis at scrape time',
      labelNames: ['state'],
      registers,
      async collect() {
        this.reset();
        if (!depthSource) return;
        try {
          const counts = await Promise.race([
            depthSource(),
            new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('Redis did not answer')), QUEUE_DEPTH_TIMEOUT_MS).unref()),
          ]);
          for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
        } catch {
          // Redis is down: say nothing about the queue rather than repeat stale numbers.
        }
      },
    }),
    sweeperRecovered: new Counter({ name: METRIC.sweeperRecovered, help: 'Orders the recovery sweeper re-enqueued or marked failed, by action', labelNames: ['action'], registers }),
    webhooks: new Counter({ name: METRIC.webhooks, help: 'Payment webhooks received, by outcome', labelNames: ['outcome'], registers }),
    httpRequests: new Histogram({
      name: METRIC.httpRequests,
      help: 'HTTP requests by route pattern and status, with their duration',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    }),
    eventDeliveries: new Counter({ name: METRIC.eventDeliveries, help: 'Deliveries of order events to EVENTS_URL, by event type and outcome (delivered, failed: will retry)', labelNames: ['type', 'outcome'], registers }),
    alerts: new Counter({ name: METRIC.alerts, help: 'Alert messages posted to ALERT_WEBHOOK_URL, by kind and outcome', labelNames: ['kind', 'outcome'], registers }),
    watchQueueDepth(source) {
      depthSource = source;
    },
  };
}

/** The job states the queue depth gauge reports. */
export const QUEUE_DEPTH_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'] as const;
