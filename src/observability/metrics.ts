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
} as const;

export interface Metrics {
  registry: Registry;
  /** Finished attempts by outcome: active, retrying, failed, skipped, aborted, postponed. */
  jobs: Counter<'outcome' | 'provider'>;
  attemptDuration: Histogram<'outcome' | 'provider'>;
  lockWait: Histogram<'package'>;
  lockPostponed: Counter<'package'>;
  providerCall: Histogram<'provider' | 'operation' | 'outcome'>;
  queueDepth: Gauge<'state'>;
  sweeperRecovered: Counter<'action'>;
  webhooks: Counter<'outcome'>;
  httpRequests: Histogram<'method' | 'route' | 'status'>;
}

/** A registry per process (and per test), so tests never share counters. */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    jobs: new Counter({ name: METRIC.jobs, help: 'Provisioning attempts by outcome', labelNames: ['outcome', 'provider'], registers }),
    attemptDuration: new Histogram({
      name: METRIC.attemptDuration,
      help: 'Duration of provisioning attempts',
      labelNames: ['outcome', 'provider'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    }),
    lockWait: new Histogram({
      name: METRIC.lockWait,
      help: 'Time from first try to holding a SmartVPS package lock',
      labelNames: ['package'],
      buckets: [0.001, 0.01, 0.1, 1, 5, 15, 60, 300, 900],
      registers,
    }),
    lockPostponed: new Counter({ name: METRIC.lockPostponed, help: 'Jobs postponed because the package lock was busy', labelNames: ['package'], registers }),
    providerCall: new Histogram({
      name: METRIC.providerCall,
      help: 'Provider API call latency',
      labelNames: ['provider', 'operation', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    queueDepth: new Gauge({ name: METRIC.queueDepth, help: 'Provision queue jobs by state', labelNames: ['state'], registers }),
    sweeperRecovered: new Counter({ name: METRIC.sweeperRecovered, help: 'Orders the recovery sweeper re-enqueued or failed', labelNames: ['action'], registers }),
    webhooks: new Counter({ name: METRIC.webhooks, help: 'Payment webhooks by outcome', labelNames: ['outcome'], registers }),
    httpRequests: new Histogram({
      name: METRIC.httpRequests,
      help: 'HTTP request duration',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    }),
  };
}
