/**
 * Metrics of the ledger's maintenance (partitions, checkpoints, idempotency expiry) and audits, registered on
 * the app's registry. Series with known label values start at 0 so rate() sees their first event.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type MaintenanceOutcome = 'completed' | 'failed' | 'skipped';
export type MaintenanceTask = 'create' | 'cut' | 'expire';

export interface LedgerMetrics {
  /** Cycles by outcome; `skipped` when another instance held the maintenance lock. */
  readonly maintenanceRuns: Counter<'outcome'>;
  readonly maintenanceTaskDuration: Histogram<'task'>;
  readonly partitionsCreated: Counter;
  readonly partitionsDropped: Counter;
  readonly checkpointsWritten: Counter;
  readonly idempotencyKeysExpired: Counter;
  /** Full audit runs of this instance, by outcome: completed, failed, aborted. */
  readonly auditRuns: Counter<'outcome'>;
  readonly auditDuration: Histogram;
  readonly auditProducts: Counter;
  readonly auditRows: Counter;
  /** Products whose row or chain disagreed with their ledger, over all full runs. */
  readonly auditDisagreements: Counter;
  readonly auditLastRunDisagreements: Gauge;
  /** Single-product audits (GET …/audit), by verdict: agrees, disagrees. */
  readonly productAudits: Counter<'verdict'>;
}

/** `horizonSeconds` is read at scrape time: how long writes still have a partition to land in. */
export function createLedgerMetrics(registry: Registry, horizonSeconds: () => Promise<number | null>): LedgerMetrics {
  const metrics: LedgerMetrics = {
    maintenanceRuns: new Counter({
      name: 'inventory_ledger_maintenance_runs_total',
      help: 'Ledger maintenance cycles of this instance, by outcome (skipped: another instance held the lock).',
      labelNames: ['outcome'], registers: [registry],
    }),
    maintenanceTaskDuration: new Histogram({
      name: 'inventory_ledger_maintenance_duration_seconds',
      help: 'Time one maintenance task took in a cycle: create (partitions ahead), cut (checkpoints, detach, drop), expire (idempotency keys).',
      labelNames: ['task'], registers: [registry],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900],
    }),
    partitionsCreated: new Counter({
      name: 'inventory_ledger_partitions_created_total',
      help: 'inventory_logs partitions created ahead by this instance.',
      registers: [registry],
    }),
    partitionsDropped: new Counter({
      name: 'inventory_ledger_partitions_dropped_total',
      help: 'inventory_logs partitions dropped past history.retention_days (after their checkpoints were written).',
      registers: [registry],
    }),
    checkpointsWritten: new Counter({
      name: 'inventory_ledger_checkpoints_written_total',
      help: 'Product checkpoints written or moved forward before a partition was dropped.',
      registers: [registry],
    }),
    idempotencyKeysExpired: new Counter({
      name: 'inventory_idempotency_keys_expired_total',
      help: 'Idempotency records deleted after idempotency.retention_hours.',
      registers: [registry],
    }),
    auditRuns: new Counter({
      name: 'inventory_ledger_audit_runs_total',
      help: 'Full ledger audit runs this instance executed, by outcome.',
      labelNames: ['outcome'], registers: [registry],
    }),
    auditDuration: new Histogram({
      name: 'inventory_ledger_audit_duration_seconds',
      help: 'Duration of a full ledger audit run.',
      registers: [registry],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600],
    }),
    auditProducts: new Counter({
      name: 'inventory_ledger_audit_products_total',
      help: 'Products checked against their ledger by full audit runs.',
      registers: [registry],
    }),
    auditRows: new Counter({
      name: 'inventory_ledger_audit_rows_total',
      help: 'Log rows read by full audit runs.',
      registers: [registry],
    }),
    auditDisagreements: new Counter({
      name: 'inventory_ledger_audit_disagreements_total',
      help: 'Products whose row or chain disagreed with their ledger, found by full audit runs.',
      registers: [registry],
    }),
    auditLastRunDisagreements: new Gauge({
      name: 'inventory_ledger_audit_last_run_disagreements',
      help: 'Products that disagreed with their ledger in the most recent completed run of this instance.',
      registers: [registry],
    }),
    productAudits: new Counter({
      name: 'inventory_ledger_product_audits_total',
      help: 'Single-product ledger audits answered, by verdict (agrees, disagrees).',
      labelNames: ['verdict'], registers: [registry],
    }),
  };
  new Gauge({
    name: 'inventory_ledger_partition_horizon_seconds',
    help: 'Seconds until the upper bound of the last inventory_logs partition; writes fail once it is reached (alert well before 0).',
    registers: [registry],
    async collect() {
      const seconds = await horizonSeconds().catch(() => null);
      this.set(seconds ?? Number.NaN);
    },
  });
  for (const outcome of ['completed', 'failed', 'skipped'] satisfies MaintenanceOutcome[]) metrics.maintenanceRuns.inc({ outcome }, 0);
  for (const outcome of ['completed', 'failed', 'aborted']) metrics.auditRuns.inc({ outcome }, 0);
  for (const verdict of ['agrees', 'disagrees']) metrics.productAudits.inc({ verdict }, 0);
  return metrics;
}
