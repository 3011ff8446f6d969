/**
 * GET /api/v1/stats/inventory: what the catalogue holds, read from PostgreSQL (all instances).
 * GET /api/v1/stats/service: this instance's engine since it started (read from its Prometheus
 * metrics, so the two never disagree), plus the last health run and the diffs, from PostgreSQL.
 */
import type { FastifyInstance } from 'fastify';
import { engineTotals } from '../../../metrics/engine-totals.js';
import type { Services } from '../../../services.js';
import type { RunRow } from '../../../store/postgres/reconcile-run-queries.js';
import { countDiffsByStatus, selectInventoryStats } from '../../../store/postgres/stats-queries.js';
import { ok } from '../../envelope.js';
import { inventoryStatsSchema, serviceStatsSchema } from './stats-schemas.js';

export async function statsRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const lowStockThreshold = services.config.inventory.low_stock_threshold;

  app.get('/api/v1/stats/inventory', { schema: inventoryStatsSchema }, async () => {
    const { active, inactive, locked, ...rest } = await selectInventoryStats(services.readPool, lowStockThreshold);
    return ok({ ...rest, by_status: { active, inactive, locked }, low_stock_threshold: lowStockThreshold });
  });

  app.get('/api/v1/stats/service', { schema: serviceStatsSchema }, async () => {
    const [totals, lastRun, diffs] = await Promise.all([
      engineTotals(services.metrics), services.reconciler.lastRun(), countDiffsByStatus(services.readPool),
    ]);
    const queueDepths = services.engine.queueDepths();
    return ok({
      started_at: services.startedAt,
      uptime_seconds: (Date.now() - services.startedAt.getTime()) / 1000,
      ...totals,
      queue_depths: queueDepths,
      queue_depth_total: queueDepths.reduce((total, depth) => total + depth, 0),
      last_health_run: lastRun === null ? null : runSummary(lastRun),
      diffs,
    });
  });
}

function runSummary(run: RunRow) {
  return {
    run_id: run.run_id, status: run.status, trigger: run.trigger, instance: run.instance,
    started_at: run.started_at, finished_at: run.finished_at,
    scanned: run.scanned_rows, diffs_found: run.diffs_found, alerts_raised: run.alerts_raised, auto_fixed: run.auto_fixed,
    duration_ms: run.finished_at === null ? null : run.finished_at.getTime() - run.started_at.getTime(),
    error: run.error,
  };
}
