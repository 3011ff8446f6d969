/**
 * Reads of the ledger: a stream of products with their rows (audits), a product's state at a
 * moment or after a log row (point in time, restore), a stored key (restore replays). Each is one
 * statement, so it reads the inventory row, the checkpoint and the log rows in one snapshot, and a
 * partition cannot be detached between its parts (the statement holds its locks to the end).
 */
import type pg from 'pg';
import type { StoredResult } from '../../domain/change-result.js';
import { selectStoredResults, storedResultsOf } from './flush-load-queries.js';

/**
 * Products with `fromProductId <= product_id < toProductId`, each as its inventory row (kind 0,
 * with its checkpoint) followed by its log rows in id order (kind 1); a product with rows but no
 * inventory row has no kind-0 row. One column set serves both kinds (`rowMode: 'array'`):
 *   kind 0: product_id, 0, stock, reserved, cp log_id, cp stock, cp stock_by_sum, cp reserved, cp log_created_at
 *   kind 1: product_id, id, delta, reserved_delta, before_stock, after_stock, NULL, NULL, NULL
 */
export const auditScanText = `
SELECT 0 AS kind, i.product_id, 0::bigint AS id, i.stock AS v1, i.reserved AS v2,
       c.log_id AS v3, c.stock AS v4, c.stock_by_sum AS v5, c.reserved AS v6, c.log_created_at AS at
  FROM inventories i LEFT JOIN inventory_checkpoints c ON c.product_id = i.product_id
 WHERE i.product_id >= $1::bigint AND i.product_id < $2::bigint
UNION ALL
SELECT 1, l.product_id, l.id, l.delta, l.reserved_delta, l.before_stock, l.after_stock, NULL, NULL, NULL
  FROM inventory_logs l
 WHERE l.product_id >= $1::bigint AND l.product_id < $2::bigint
ORDER BY 2, 1, 3`;

export type AuditScanRow = [
  kind: 0 | 1, productId: number, id: number,
  v1: number, v2: number, v3: number | null, v4: number | null, v5: number | null, v6: number | null, at: Date | null,
];

/**
 * The exclusive end of the next chunk of at most `chunkProducts` inventory rows from
 * `fromProductId`, within the span (its end when fewer are left).
 */
export async function selectChunkEnd(
  client: pg.ClientBase, fromProductId: number, toProductId: number, chunkProducts: number,
): Promise<number> {
  const result = await client.query<{ product_id: number }>({
    name: 'ledger_chunk_end',
    text: `SELECT product_id FROM inventories WHERE product_id >= $1 AND product_id < $2
            ORDER BY product_id OFFSET $3::int LIMIT 1`,
    values: [fromProductId, toProductId, chunkProducts],
  });
  return result.rows[0]?.product_id ?? toProductId;
}

/** Lowest and highest product ids of inventories and log rows (a span for a full audit). */
export async function selectProductIdSpan(pool: pg.Pool): Promise<{ min: number; max: number } | null> {
  const result = await pool.query<{ min: number | null; max: number | null }>(`
    SELECT least((SELECT min(product_id) FROM inventories), (SELECT min(product_id) FROM inventory_logs)) AS min,
           greatest((SELECT max(product_id) FROM inventories), (SELECT max(product_id) FROM inventory_logs)) AS max`);
  const { min, max } = result.rows[0]!;
  return min === null || max === null ? null : { min, max };
}

/**
 * A timestamp rounded up to the millisecond: earliest times are answered as JavaScript dates (ms),
 * and an earliest time sent back as a point must not fall before the microsecond it stands for.
 */
const ceilMs = (column: string) =>
  `(date_trunc('milliseconds', ${column}) + CASE WHEN ${column} > date_trunc('milliseconds', ${column}) THEN interval '1 millisecond' ELSE interval '0' END)`;

/** Where a point in time falls: after the rows written by a moment, or after one log row. */
export type LedgerPoint = { kind: 'time'; time: Date } | { kind: 'log'; logId: number };

export interface PointRow {
  product_exists: boolean;
  stock_now: number | null;
  reserved_now: number | null;
  version_now: number | null;
  max_stock: number | null;
  /** The checkpoint (or zeros). */
  start_log_id: number;
  start_stock: number;
  start_reserved: number;
  checkpoint_at: Date | null;
  /** created_at of the first row after the checkpoint: the earliest time answerable without one. */
  first_at: Date | null;
  /** For a point by log id: the row exists and belongs to the product (or is the checkpoint's). */
  point_found: boolean;
  rows: number;
  delta_sum: number;
  reserved_sum: number;
  /** The last row counted (the checkpoint's when none after it is). */
  last_log_id: number | null;
  last_at: Date | null;
}

/**
 * A product's ledger up to a point, from its checkpoint: the sums of the rows after the checkpoint
 * and before the point, plus what is needed to say whether the point is inside retained history.
 * By time, the point is before the first row (by id) whose transaction started after `time`: rows
 * commit in id order per product, so no later row can have committed by then.
 */
export async function selectLedgerAt(pool: pg.Pool, productId: number, point: LedgerPoint): Promise<PointRow> {
  const byTime = point.kind === 'time';
  const result = await pool.query<PointRow>({
    name: byTime ? 'ledger_at_time' : 'ledger_at_log',
    text: `
      WITH inv AS (
        SELECT stock, reserved, version, max_stock FROM inventories WHERE product_id = $1
      ), start AS (
        SELECT COALESCE(c.log_id, 0) AS log_id, COALESCE(c.stock, 0) AS stock, COALESCE(c.reserved, 0) AS reserved,
               ${ceilMs('c.log_created_at')} AS at
          FROM (SELECT 1) one LEFT JOIN inventory_checkpoints c ON c.product_id = $1
      ), bound AS (
        ${byTime
          ? `SELECT min(l.id) AS id FROM inventory_logs l, start s WHERE l.product_id = $1 AND l.id > s.log_id AND l.created_at > $2::timestamptz`
          : 'SELECT $2::bigint + 1 AS id'}
      ), counted AS (
        SELECT count(*)::bigint AS rows, COALESCE(sum(l.delta), 0)::bigint AS delta_sum,
               COALESCE(sum(l.reserved_delta), 0)::bigint AS reserved_sum, max(l.id) AS last_log_id
          FROM inventory_logs l, start s, bound b
         WHERE l.product_id = $1 AND l.id > s.log_id AND (b.id IS NULL OR l.id < b.id)
      )
      SELECT EXISTS (SELECT 1 FROM inv) AS product_exists,
             (SELECT stock FROM inv) AS stock_now, (SELECT reserved FROM inv) AS reserved_now,
             (SELECT version FROM inv) AS version_now, (SELECT max_stock FROM inv) AS max_stock,
             s.log_id AS start_log_id, s.stock AS start_stock, s.reserved AS start_reserved, s.at AS checkpoint_at,
             (SELECT ${ceilMs('l.created_at')} FROM inventory_logs l WHERE l.product_id = $1 AND l.id > s.log_id ORDER BY l.id LIMIT 1) AS first_at,
             ${byTime ? 'true' : `($2::bigint = s.log_id AND s.at IS NOT NULL)
               OR EXISTS (SELECT 1 FROM inventory_logs l WHERE l.product_id = $1 AND l.id = $2::bigint AND l.id > s.log_id)`} AS point_found,
             c.rows, c.delta_sum, c.reserved_sum, COALESCE(c.last_log_id, CASE WHEN s.at IS NOT NULL THEN s.log_id END) AS last_log_id,
             COALESCE((SELECT l.created_at FROM inventory_logs l WHERE l.product_id = $1 AND l.id = c.last_log_id), s.at) AS last_at
        FROM start s, counted c`,
    values: [productId, point.kind === 'time' ? point.time : point.logId],
  });
  return result.rows[0]!;
}

/** The first result stored for a key of a product, or null (a restore retried with its key replays it). */
export async function selectStoredKey(pool: pg.Pool, productId: number, idemKey: string): Promise<StoredResult | null> {
  const result = await pool.query(selectStoredResults([{ productId, idemKey, applies: false }]));
  return storedResultsOf(result.rows).get(productId)?.get(idemKey) ?? null;
}

