/**
 * Metrics of the health checker, registered on the app's registry. Worker threads have no registry
 * of their own: a partition task returns its counts, and the main thread records them here.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Who asked for a fix: auto_fix at the end of a run, or an operator (single or bulk route). */
export const fixSources = ['auto', 'manual'] as const;
export type FixSource = (typeof fixSources)[number];
/**
 * How a fix attempt ended: `applied` (the diff is fixed or ignored), `stale` (the product, Redis or
 * the diff moved since it was recorded, or another fix took it), `exceeded` (over max_fix_amount),
 * `failed` (anything else: Redis or PostgreSQL unreachable, an unknown outcome, a bad request).
 */
export const fixOutcomes = ['applied', 'stale', 'exceeded', 'failed'] as const;
export type FixOutcome = (typeof fixOutcomes)[number];

/** Label values the health checker's counters start with at 0 (see `fixAttempts` below for why). */
export const runOutcomes = ['completed', 'failed', 'aborted'] as const;
export const fixTypes = ['use_db', 'use_redis', 'ignore'] as const;
/** Why a rebuild ran: an operator asked, or the service found Redis empty. */
export const rebuildTriggers = ['manual', 'redis_empty'] as const;
export const rebuildKeyResults = ['written', 'skipped'] as const;
/** The (type, level) pairs src/alerts/alert-rules.ts raises. */
export const alertKindsKnown = [
  ['low_stock', 'warning'], ['out_of_stock', 'error'], ['diff_alert', 'warning'], ['diff_alert', 'error'],
] as const;

export interface ReconcileMetrics {
  /** Runs by outcome: completed, failed, aborted. */
  readonly runs: Counter<'outcome'>;
  readonly runDuration: Histogram;
  readonly rowsScanned: Counter;
  readonly lastRunRowsScanned: Gauge;
  /** Diffs and duration of the most recent run of this instance: "found per run" on a dashboard. */
  readonly lastRunDiffsFound: Gauge;
  readonly lastRunDuration: Gauge;
  readonly diffsFound: Counter;
  readonly diffsFixed: Counter<'fix_type'>;
  /** Fix attempts by source and outcome: the auto-fix success rate is applied / all of source auto. */
  readonly fixAttempts: Counter<'source' | 'outcome'>;
  readonly diffsPending: Gauge;
  readonly alertsRaised: Counter<'type' | 'level'>;
  /** Rebuilds of Redis from PostgreSQL by trigger and outcome. */
  readonly rebuilds: Counter<'trigger' | 'outcome'>;
  /** Keys rebuilds wrote, and left alone (Redis held a newer version; seckill: the key existed). */
  readonly rebuildKeys: Counter<'result'>;
  readonly lastRebuildDuration: Gauge;
  /** Times this instance found the fill marker gone (Redis came back empty or was flushed). */
  readonly redisEmptyDetected: Counter;
}

/** `pendingDiffs` is read at scrape time (the count lives in PostgreSQL, shared by instances). */
export function createReconcileMetrics(registry: Registry, pendingDiffs: () => Promise<number>): ReconcileMetrics {
  const fixAttempts = new Counter({
    name: 'inventory_diff_fix_attempts_total',
    help: 'Diff fix attempts by source (auto, manual) and outcome (applied, stale, exceeded, failed).',
    labelNames: ['source', 'outcome'], registers: [registry],
  });
  // Every series exists at 0 from the start, so rate() and increase() see the first attempt.
  for (const source of fixSources) for (const outcome of fixOutcomes) fixAttempts.inc({ source, outcome }, 0);
  const metrics: ReconcileMetrics = {
    fixAttempts,
    runs: new Counter({
      name: 'inventory_reconcile_runs_total',
      help: 'Reconciliation runs this instance executed, by outcome.',
      labelNames: ['outcome'], registers: [registry],
    }),
    runDuration: new Histogram({
      name: 'inventory_reconcile_duration_seconds',
      help: 'Duration of a reconciliation run, from taking the lock to its report.',
      registers: [registry],
      buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 120, 300],
    }),
    rowsScanned: new Counter({
      name: 'inventory_reconcile_rows_scanned_total',
      help: 'Inventory rows compared with Redis by reconciliation runs.',
      registers: [registry],
    }),
    lastRunRowsScanned: new Gauge({
      name: 'inventory_reconcile_last_run_rows_scanned',
      help: 'Rows the most recent finished run of this instance compared.',
      registers: [registry],
    }),
    lastRunDiffsFound: new Gauge({
      name: 'inventory_reconcile_last_run_diffs_found',
      help: 'Differences the most recent finished run of this instance recorded.',
      registers: [registry],
    }),
    lastRunDuration: new Gauge({
      name: 'inventory_reconcile_last_run_duration_seconds',
      help: 'Duration of the most recent finished run of this instance.',
      registers: [registry],
    }),
    diffsFound: new Counter({
      name: 'inventory_diffs_found_total',
      help: 'Differences between Redis and PostgreSQL recorded by reconciliation runs.',
      registers: [registry],
    }),
    diffsFixed: new Counter({
      name: 'inventory_diffs_fixed_total',
      help: 'Recorded differences closed, by fix_type (use_db, use_redis, ignore).',
      labelNames: ['fix_type'], registers: [registry],
    }),
    diffsPending: new Gauge({
      name: 'inventory_diffs_pending',
      help: 'Recorded differences still pending (all instances).',
      registers: [registry],
      async collect() {
        this.set(await pendingDiffs().catch(() => Number.NaN));
      },
    }),
    alertsRaised: new Counter({
      name: 'inventory_alerts_raised_total',
      help: 'Alerts raised (not counting ones already pending for the product and type), by type and level.',
      labelNames: ['type', 'level'], registers: [registry],
    }),
    rebuilds: new Counter({
      name: 'inventory_rebuild_runs_total',
      help: 'Rebuilds of Redis from PostgreSQL this instance executed, by trigger (manual, redis_empty) and outcome.',
      labelNames: ['trigger', 'outcome'], registers: [registry],
    }),
    rebuildKeys: new Counter({
      name: 'inventory_rebuild_keys_total',
      help: 'Stock keys rebuilds wrote (result=written) or left alone (result=skipped: Redis held a newer version, or in seckill mode the key existed).',
      labelNames: ['result'], registers: [registry],
    }),
    lastRebuildDuration: new Gauge({
      name: 'inventory_rebuild_last_duration_seconds',
      help: 'Duration of the most recent finished rebuild of this instance.',
      registers: [registry],
    }),
    redisEmptyDetected: new Counter({
      name: 'inventory_redis_empty_detected_total',
      help: 'Times this instance found its fill marker gone from Redis (restarted empty or flushed) and started a rebuild.',
      registers: [registry],
    }),
  };
  for (const outcome of runOutcomes) metrics.runs.inc({ outcome }, 0);
  for (const fix_type of fixTypes) metrics.diffsFixed.inc({ fix_type }, 0);
  for (const [type, level] of alertKindsKnown) metrics.alertsRaised.inc({ type, level }, 0);
  for (const trigger of rebuildTriggers) for (const outcome of runOutcomes) metrics.rebuilds.inc({ trigger, outcome }, 0);
  for (const result of rebuildKeyResults) metrics.rebuildKeys.inc({ result }, 0);
  return metrics;
}
