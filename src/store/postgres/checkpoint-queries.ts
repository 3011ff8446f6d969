/**
 * Checkpoints written before a partition of `inventory_logs` is dropped, and the rows of
 * `inventory_log_cuts` that record each cut's progress. See migration 006_3 for the columns.
 */
import type pg from 'pg';
import type { LogPartition } from '../../domain/ledger.js';

export interface CheckpointBatch {
  /** The last product of this batch: the next batch starts after it; null when none was left. */
  lastProductId: number | null;
  products: number;
  written: number;
}

/**
 * One batch of products with rows in [from, to), in product order after `afterProductId`: each gets
 * a checkpoint after its last row there (highest id), unless its checkpoint is already at or past
 * it (a cut that resumes rewrites nothing). Reserved, the sum check and the row count add the rows
 * after the previous checkpoint up to that id. Such rows sit in this partition or, when a
 * transaction that started later took a lower id, at most `commitLagMs` past its upper bound;
 * partitions before it were cut already (cuts go oldest first), so their rows are in the previous
 * checkpoint. `stock_by_sum` carries the previous one's, so a break in cut history stays visible.
 */
const writeCheckpointsText = `
WITH products AS (
  SELECT DISTINCT product_id FROM inventory_logs
   WHERE created_at >= $1::timestamptz AND created_at < $2::timestamptz AND product_id > $3::bigint
   ORDER BY product_id LIMIT $4::int
), last AS (
  SELECT p.product_id, l.id, l.after_stock, l.created_at
    FROM products p
   CROSS JOIN LATERAL (
     SELECT x.id, x.after_stock, x.created_at FROM inventory_logs x
      WHERE x.product_id = p.product_id AND x.created_at >= $1::timestamptz AND x.created_at < $2::timestamptz
      ORDER BY x.id DESC LIMIT 1) l
), covered AS (
  SELECT l.product_id, l.id, l.after_stock, l.created_at,
         COALESCE(prev.stock_by_sum, 0) + s.delta_sum AS stock_by_sum,
         COALESCE(prev.reserved, 0) + s.reserved_sum AS reserved,
         COALESCE(prev.rows_cut, 0) + s.rows AS rows_cut
    FROM last l
    LEFT JOIN inventory_checkpoints prev ON prev.product_id = l.product_id
   CROSS JOIN LATERAL (
     SELECT COALESCE(sum(r.delta), 0)::bigint AS delta_sum, COALESCE(sum(r.reserved_delta), 0)::bigint AS reserved_sum,
            count(*)::bigint AS rows
       FROM inventory_logs r
      WHERE r.product_id = l.product_id AND r.id > COALESCE(prev.log_id, 0) AND r.id <= l.id
        AND r.created_at < $2::timestamptz + $6::bigint * interval '1 millisecond') s
   WHERE prev.log_id IS NULL OR prev.log_id < l.id
), written AS (
  INSERT INTO inventory_checkpoints (product_id, log_id, stock, stock_by_sum, reserved, log_created_at, rows_cut, partition_name)
  SELECT product_id, id, after_stock, stock_by_sum, reserved, created_at, rows_cut, $5::text FROM covered
  ON CONFLICT (product_id) DO UPDATE
     SET log_id = EXCLUDED.log_id, stock = EXCLUDED.stock, stock_by_sum = EXCLUDED.stock_by_sum,
         reserved = EXCLUDED.reserved, log_created_at = EXCLUDED.log_created_at, rows_cut = EXCLUDED.rows_cut,
         partition_name = EXCLUDED.partition_name, cut_at = now()
  RETURNING 1
)
SELECT (SELECT max(product_id) FROM products) AS last_product_id,
       (SELECT count(*) FROM products)::int AS products,
       (SELECT count(*) FROM written)::int AS written`;

export async function writeCheckpoints(
  client: pg.ClientBase, partition: LogPartition, afterProductId: number, limitProducts: number, commitLagMs: number,
): Promise<CheckpointBatch> {
  const result = await client.query<{ last_product_id: number | null; products: number; written: number }>({
    name: 'ledger_write_checkpoints',
    text: writeCheckpointsText,
    values: [partition.from ?? '-infinity', partition.to, afterProductId, limitProducts, partition.name, commitLagMs],
  });
  const row = result.rows[0]!;
  return { lastProductId: row.last_product_id, products: row.products, written: row.written };
}

export type CutStatus = 'checkpointing' | 'detaching' | 'dropped';

export interface CutRow {
  partition_name: string;
  from_at: Date | null;
  to_at: Date;
  status: CutStatus;
}

/** Cuts begun and not finished (an earlier cycle stopped), oldest partition first. */
export async function selectUnfinishedCuts(client: pg.ClientBase): Promise<CutRow[]> {
  const result = await client.query<CutRow>(
    `SELECT partition_name, from_at, to_at, status FROM inventory_log_cuts WHERE status <> 'dropped' ORDER BY to_at`);
  return result.rows;
}

export async function beginCut(client: pg.ClientBase, partition: LogPartition): Promise<CutRow> {
  const result = await client.query<CutRow>(`
    INSERT INTO inventory_log_cuts (partition_name, from_at, to_at) VALUES ($1, $2, $3)
    ON CONFLICT (partition_name) DO UPDATE SET partition_name = EXCLUDED.partition_name
    RETURNING partition_name, from_at, to_at, status`, [partition.name, partition.from, partition.to]);
  return result.rows[0]!;
}

export async function setCutStatus(
  /** `checkpoints` adds to the count of earlier passes of this cut. */
  client: pg.ClientBase, name: string, status: CutStatus, counts: { products: number; checkpoints: number } | null = null,
): Promise<void> {
  await client.query(`
    UPDATE inventory_log_cuts
       SET status = $2, products = COALESCE($3, products), checkpoints = checkpoints + COALESCE($4, 0),
           finished_at = CASE WHEN $2 = 'dropped' THEN now() END
     WHERE partition_name = $1`, [name, status, counts?.products ?? null, counts?.checkpoints ?? null]);
}
