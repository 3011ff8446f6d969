/**
 * The statements a reconciliation worker runs: the streaming scan of one product-id span, the
 * fresh reads of candidates, and the inserts of diffs and alerts (one statement per chunk each).
 * Every statement filters or writes by product_id, so under Citus each routes by it.
 */
import type pg from 'pg';
import type { NewAlert } from '../../alerts/alert-rules.js';

/**
 * Active products of one span, in product order (the (status, product_id) index serves it as a
 * range scan). Columns: product_id, available, and the low-stock threshold when the row is at or
 * below it (null otherwise): a row costs three numbers (the version is read on the second look).
 */
export const scanPartitionText = `
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
 * Records diffs with their `diff_alert` in one statement. An alert already pending for the product
 * stays as it is ("one pending alert per product and type"); `alert_raised` says which were new.
 */
export async function insertDiffs(client: pg.ClientBase, runId: string, diffs: DiffToRecord[]): Promise<RecordedDiff[]> {
  const result = await client.query<RecordedDiff>({
    name: 'reconcile_insert_diffs',
    text: `
      WITH d AS (
        INSERT INTO inventory_diffs (product_id, run_id, db_stock, redis_stock, diff, db_version)
        SELECT product_id, $1, db_stock, redis_stock, diff, db_version
          FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])
               AS x(product_id, db_stock, redis_stock, diff, db_version)
        RETURNING product_id
      ), a AS (
        INSERT INTO inventory_alerts (product_id, alert_type, message, level)
        SELECT product_id, 'diff_alert', message, level FROM unnest($2::bigint[], $7::text[], $8::text[]) AS y(product_id, message, level)
        ON CONFLICT (product_id, alert_type) WHERE status = 'pending' DO NOTHING
        RETURNING product_id
      )
      SELECT d.product_id, a.product_id IS NOT NULL AS alert_raised FROM d LEFT JOIN a USING (product_id)`,
    values: [
      runId, diffs.map((d) => d.productId), diffs.map((d) => d.dbAvailable), diffs.map((d) => d.redis),
      diffs.map((d) => d.diff), diffs.map((d) => d.dbVersion), diffs.map((d) => d.alert.message), diffs.map((d) => d.alert.level),
    ],
  });
  return result.rows;
}

/** Raises stock alerts; returns the ones that were new (no pending alert of that type existed). */
export async function insertAlerts(client: pg.ClientBase, alerts: NewAlert[]): Promise<{ product_id: number; alert_type: string }[]> {
  const result = await client.query<{ product_id: number; alert_type: string }>({
    name: 'reconcile_insert_alerts',
    text: `
      INSERT INTO inventory_alerts (product_id, alert_type, message, level)
      SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[])
      ON CONFLICT (product_id, alert_type) WHERE status = 'pending' DO NOTHING
      RETURNING product_id, alert_type`,
    values: [alerts.map((a) => a.productId), alerts.map((a) => a.type), alerts.map((a) => a.message), alerts.map((a) => a.level)],
  });
  return result.rows;
}
