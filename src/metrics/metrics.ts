/**
 * The service's Prometheus metrics. Each app builds its own registry, so two instances in one
 * process (tests) never share counters. Names follow Prometheus conventions: units as suffixes,
 * `_total` on counters.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  /** Sync operations by outcome: `success`, `replayed`, or the refusal code in lower case. */
  readonly syncRequests: Counter<'result'>;
  readonly syncDuration: Histogram<'result'>;
  readonly flushes: Counter<'outcome'>;
  readonly flushOps: Histogram;
  /**
   * Flushes judged again: `version_moved` (another writer), `stored_key` (a key committed earlier,
   * replayed next time), `duplicate_key` / `deadlock` (rolled back), `isolated` (a poisoned flush split).
   */
  readonly flushReplans: Counter<'reason'>;
  readonly flushDuration: Histogram;
  readonly redisWriteFailures: Counter;
  readonly reservationsExpired: Counter;
  /** Order-hold operations (hold, confirm, release, expire) by result: success, replayed or the refusal code. */
  readonly orderOperations: Counter<'operation' | 'result'>;
  readonly shardQueueDepth: Gauge<'shard'>;
  /** `engine.queue_depth_max`: an alert compares the depth with it (prometheus/alerts.yml). */
  readonly shardQueueDepthMax: Gauge;
  /** Every HTTP answer, by method, route pattern (never the raw URL) and status code. */
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  /** Where the queue-depth gauge reads its values at scrape time. */
  setQueueDepthSource(source: () => number[]): void;
  /** Counts one answered sync op and its latency: the hot-path form of the two metrics above. */
  recordSync(result: string, seconds: number): void;
}

export const orderOperationsKnown = ['hold', 'confirm', 'release', 'expire'] as const;
export const orderResultsKnown = ['success', 'replayed', 'refused', 'failed'] as const;

/**
 * Every result a stock change can end with (`success`, `replayed`, or its refusal code in lower
 * case): each series starts at 0, so `rate()` and the dashboard see a rare code's first occurrence.
 */
export const syncResultsKnown = [
  'success', 'replayed', 'insufficient_stock', 'max_stock_exceeded', 'version_conflict', 'idempotency_conflict',
  'inventory_not_found', 'inventory_locked', 'inventory_inactive', 'validation_error', 'overloaded', 'shutting_down',
  'database_unavailable', 'commit_outcome_unknown', 'operation_rejected', 'internal_error', 'reservation_not_found',
  'reservation_exists', 'reservation_not_pending', 'reservation_expired', 'reservation_not_expired',
] as const;

export interface MetricsOptions {
  /** prom-client's process metrics; off for the extra apps tests build. */
  collectDefaults: boolean;
}

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  if (options.collectDefaults) collectDefaultMetrics({ register: registry });
  let queueDepths: () => number[] = () => [];
  // prom-client hashes a labels object on every call; the few result values get their children once.
  const syncChildren = new Map<string, { count: { inc(): void }; duration: { observe(value: number): void } }>();
  const metrics: Metrics = {
    registry,
    syncRequests: new Counter({
      name: 'inventory_sync_requests_total',
      help: 'Stock changes asked of the engine, by result (success, replayed or the refusal code).',
      labelNames: ['result'], registers: [registry],
    }),
    syncDuration: new Histogram({
      name: 'inventory_sync_duration_seconds',
      help: 'Time from a stock change entering the engine to its answer, commit included.',
      labelNames: ['result'], registers: [registry],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
    flushes: new Counter({
      name: 'inventory_flushes_total',
      help: 'Actor flushes (one transaction each), by outcome.',
      labelNames: ['outcome'], registers: [registry],
    }),
    flushReplans: new Counter({
      name: 'inventory_flush_replans_total',
      help: 'Plans redone because another writer moved a version, a key was already committed, or a deadlock.',
      labelNames: ['reason'], registers: [registry],
    }),
    flushOps: new Histogram({
      name: 'inventory_flush_batch_size',
      help: 'Operations taken into one actor flush.',
      registers: [registry],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192],
    }),
    flushDuration: new Histogram({
      name: 'inventory_flush_duration_seconds',
      help: 'Time one actor flush takes, from taking its batch to answering it.',
      registers: [registry],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    }),
    redisWriteFailures: new Counter({
      name: 'inventory_redis_write_failures_total',
      help: 'Redis writes after a commit that failed or timed out (repaired by reconciliation).',
      registers: [registry],
    }),
    reservationsExpired: new Counter({
      name: 'inventory_reservations_expired_total',
      help: 'Pending reservations released by the sweeper because their time passed.',
      registers: [registry],
    }),
    orderOperations: new Counter({
      name: 'inventory_order_operations_total',
      help: 'Order-hold operations (hold, confirm, release, expire), each one transaction over all its lines, by result.',
      labelNames: ['operation', 'result'], registers: [registry],
    }),
    shardQueueDepth: new Gauge({
      name: 'inventory_shard_queue_depth',
      help: 'Operations held by a shard actor (waiting or in its current flush).',
      labelNames: ['shard'], registers: [registry],
      collect() {
        for (const [shard, depth] of queueDepths().entries()) this.set({ shard: String(shard) }, depth);
      },
    }),
    shardQueueDepthMax: new Gauge({
      name: 'inventory_shard_queue_depth_max',
      help: 'Operations one shard may hold (engine.queue_depth_max); beyond it syncs are refused with 503 OVERLOADED.',
      registers: [registry],
    }),
    httpRequestDuration: new Histogram({
      name: 'inventory_http_request_duration_seconds',
      help: 'Time from a request arriving to its answer being sent, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'], registers: [registry],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    setQueueDepthSource: (source) => { queueDepths = source; },
    recordSync: (result, seconds) => {
      let children = syncChildren.get(result);
      if (children === undefined) {
        children = { count: metrics.syncRequests.labels(result), duration: metrics.syncDuration.labels(result) };
        syncChildren.set(result, children);
      }
      children.count.inc();
      children.duration.observe(seconds);
    },
  };
  // Series with known label values start at 0, so rate() and the dashboard see them before the first event.
  for (const outcome of ['committed', 'rolled_back', 'connection_lost']) metrics.flushes.inc({ outcome }, 0);
  for (const result of syncResultsKnown) metrics.syncRequests.inc({ result }, 0);
  for (const reason of ['version_moved', 'stored_key', 'duplicate_key', 'deadlock', 'isolated']) metrics.flushReplans.inc({ reason }, 0);
  for (const operation of orderOperationsKnown) {
    for (const result of orderResultsKnown) metrics.orderOperations.inc({ operation, result }, 0);
  }
  return metrics;
}
