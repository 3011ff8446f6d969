/**
 * The statements a reconciliation worker runs on products: the stream of one product-id span,
 * the fresh reads of candidates, and the recording of diffs with their `diff_alert` (one
 * statement per chunk each). Every statement filters or writes by product_id, so under Citus each
 * routes by it. The alert statements of a scan are in `reconcile-alert-queries.ts`.
 */
import type pg from 'pg';
import type { NewAlert } from '../../domain/alerts.js';
import type { EventRoutes } from '../../domain/events.js';
import { alertColumns, alertEventsSql, openAlertStatuses } from './alert-queries.js';
import { outboxInsertSql, routesParams } from './outbox-queries.js';

/**
 * One span, streamed with pg-cursor: the active products from `fromProductId` up to (not
 * including) `toProductId`, in product order (the (status, product_id) index serves it as a range
 * scan). Columns: product_id, available, and the low-stock threshold when the row is at or below
 * it (null otherwise): a row costs three numbers (the version is read on the second look).
 *
 * The cursor's portal is one statement until it closes, so `statement_timeout` would cover the
 * whole span: the scan connection runs with no statement timeout (see the worker), and a run is
 * bounded by shutdown and its advisory lock instead.
 */
export const scanSpanText = `
SELECT i.product_id, i.available,
       CASE WHEN i.available <= t.low THEN t.low END AS low_threshold
  FROM inventories i
 CROSS JOIN LATERAL (SELECT CASE WHEN i.min_stock > 0 THEN i.min_stock ELSE $3::bigint END AS low) t
 WHERE i.status = 'active' AND i.product_id >= $1::bigint AND i.product_id < $2::bigint
 ORDER BY i.product_id`;

/** product_id, available, low_threshold */
export type ScanRow = [number, number, number | null];

export interface FreshRowRecord { product_id: number; available: number; version: number; quiet_ms: number }

/** The current rows of candidates that are still active; a read of its own (its own snapshot). */
export async function selectActiveRows(client: pg.ClientBase, productIds: number[]): Promise<Map<number, FreshRowRecord>> {
  const result = await client.query<FreshRowRecord>({
    name: 'reconcile_select_active_rows',
    text: `SELECT product_id, available, version,
                  (extract(epoch FROM clock_timestamp() - updated_at) * 1000)::float8 AS quiet_ms
             FROM inventories
            WHERE product_id = ANY($1::bigint[]) AND status = 'active'`,
    values: [productIds],
  });
  return new Map(result.rows.map((row) => [row.product_id, row]));
}

export interface DiffToRecord {
  productId: number;
  dbAvailable: number;
  dbVersion: number;
  redis: number | null;
  diff: number;
  alert: NewAlert;
}

export interface RecordedDiff { product_id: number; alert_raised: boolean }

/**
 * Records diffs with their `diff_alert` in one statement. A product has at most one pending diff
 * (unique index): finding it again refreshes that row (values, db_version, run_id) rather than
 * adding a second one that could be fixed twice. Likewise one pending alert per product and type:
 * an existing one is left as it is, except that its level is raised (warning → error, with the
 * new message) when the diff has grown past alert_threshold. `alert_raised` says which alerts are
 * new or raised. A diff recorded for the first time (not a refresh) writes its diff.found event to
 * the webhook outbox, and a new alert its alert.raised (a level raised is not a new alert).
 */
export async function upsertDiffs(client: pg.ClientBase, runId: string, diffs: DiffToRecord[], routes: EventRoutes): Promise<RecordedDiff[]> {
  const result = await client.query<RecordedDiff>({
    name: 'reconcile_upsert_diffs',
    text: `
      WITH d AS (
        INSERT INTO inventory_diffs (product_id, run_id, db_stock, redis_stock, diff, db_version)
        SELECT product_id, $1, db_stock, redis_stock, diff, db_version
          FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])
               AS x(product_id, db_stock, redis_stock, diff, db_version)
        ON CONFLICT (product_id) WHERE status = 'pending' DO UPDATE
           SET run_id = EXCLUDED.run_id, db_stock = EXCLUDED.db_stock, redis_stock = EXCLUDED.redis_stock,
               diff = EXCLUDED.diff, db_version = EXCLUDED.db_version
        RETURNING id, product_id, run_id, db_stock, redis_stock, diff, created_at, xmax = 0 AS inserted
      ), a AS (
        INSERT INTO inventory_alerts AS old (product_id, alert_type, message, level)
        SELECT product_id, 'diff_alert', message, level FROM unnest($2::bigint[], $7::text[], $8::text[]) AS y(product_id, message, level)
        ON CONFLICT (product_id, alert_type) WHERE status IN ${openAlertStatuses} DO UPDATE
           SET level = EXCLUDED.level, message = EXCLUDED.message, updated_at = now()
         WHERE array_position(ARRAY['info', 'warning', 'error'], EXCLUDED.level)
             > array_position(ARRAY['info', 'warning', 'error'], old.level)
        RETURNING ${alertColumns}, xmax = 0 AS inserted
      ), events AS (
        ${outboxInsertSql(`
          SELECT product_id, 'diff.found' AS event_type, NULL::bigint AS alert_id,
                 jsonb_build_object('diff_id', id, 'product_id', product_id, 'run_id', run_id, 'db_stock', db_stock,
                                    'redis_stock', redis_stock, 'diff', diff, 'created_at', created_at) AS data
            FROM d WHERE inserted
          UNION ALL
          ${alertEventsSql('a', 'alert.raised')} WHERE inserted`, 9)}
      )
      SELECT d.product_id, a.product_id IS NOT NULL AS alert_raised FROM d LEFT JOIN a USING (product_id)`,
    values: [
      runId, diffs.map((d) => d.productId), diffs.map((d) => d.dbAvailable), diffs.map((d) => d.redis),
      diffs.map((d) => d.diff), diffs.map((d) => d.dbVersion), diffs.map((d) => d.alert.message), diffs.map((d) => d.alert.level),
      ...routesParams(routes),
    ],
  });
  return result.rows;
}
