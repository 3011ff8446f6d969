/**
 * GET /api/v1/stats/inventory: what the catalogue holds, read from PostgreSQL (all instances).
 * GET /api/v1/stats/service: this instance's engine since it started (read from its Prometheus
 * metrics, so the two never disagree), plus the last health run and the diffs, from PostgreSQL.
 * What comes from PostgreSQL is a snapshot at most `inventory.stats_max_age_ms` old (its time and
 * age are in the answer): the catalogue pass reads every product, and dashboards poll.
 */
import { engineTotals } from '../../../metrics/engine-totals.js';
import type { RunRow } from '../../../store/postgres/reconcile-run-queries.js';
import { countDiffsByStatus, selectInventoryStats } from '../../../store/postgres/stats-queries.js';
import { ok } from '../../envelope.js';
import type { RoutePlugin } from '../../route-plugin.js';
import { inventoryStatsSchema, serviceStatsSchema } from './stats-schemas.js';
import { snapshotAge, snapshotSource } from './stats-snapshot.js';

export const statsRoutes: RoutePlugin = async (app) => {
  const lowStockThreshold = app.config.inventory.low_stock_threshold;
  const maxAgeMs = app.config.inventory.stats_max_age_ms;
  const catalogue = snapshotSource(() => selectInventoryStats(app.readPool, lowStockThreshold), maxAgeMs);
  const checker = snapshotSource(async () => {
    const [lastRun, diffs] = await Promise.all([app.reconciler.lastRun(), countDiffsByStatus(app.readPool)]);
    return { lastRun, diffs };
  }, maxAgeMs);

  app.get('/stats/inventory', { schema: inventoryStatsSchema, config: { role: 'read' } }, async () => {
    const snapshot = await catalogue.get();
    const { active, inactive, locked, ...rest } = snapshot.value;
    return ok({ ...rest, by_status: { active, inactive, locked }, low_stock_threshold: lowStockThreshold, ...snapshotAge(snapshot) });
  });

  app.get('/stats/service', { schema: serviceStatsSchema, config: { role: 'read' } }, async () => {
    const [totals, snapshot] = await Promise.all([engineTotals(app.metrics), checker.get()]);
    const { lastRun, diffs } = snapshot.value;
    const queueDepths = app.engine.queueDepths();
    return ok({
      started_at: app.startedAt,
      uptime_seconds: (Date.now() - app.startedAt.getTime()) / 1000,
      ...totals,
      queue_depths: queueDepths,
      queue_depth_total: queueDepths.reduce((total, depth) => total + depth, 0),
      last_health_run: lastRun === null ? null : runSummary(lastRun),
      diffs,
      ...snapshotAge(snapshot),
    });
  });
};

function runSummary(run: RunRow) {
  return {
    run_id: run.run_id, status: run.status, trigger: run.trigger, instance: run.instance,
    started_at: run.started_at, finished_at: run.finished_at,
    scanned: run.scanned_rows, diffs_found: run.diffs_found, alerts_raised: run.alerts_raised, auto_fixed: run.auto_fixed,
    duration_ms: run.finished_at === null ? null : run.finished_at.getTime() - run.started_at.getTime(),
    error: run.error,
  };
}
