/** Reads and state changes of recorded diffs (`inventory_diffs`). */
import type pg from 'pg';

export type DiffStatus = 'pending' | 'fixed' | 'ignored';
export type FixType = 'use_db' | 'use_redis' | 'ignore';

export interface DiffRow {
  id: number;
  product_id: number;
  run_id: string;
  db_stock: number;
  redis_stock: number | null;
  diff: number;
  db_version: number | null;
  status: DiffStatus;
  fix_type: FixType | null;
  fixed_at: Date | null;
  fixed_by: string | null;
  created_at: Date;
}

const diffColumns = 'id, product_id, run_id, db_stock, redis_stock, diff, db_version, status, fix_type, fixed_at, fixed_by, created_at';

export async function selectDiff(pool: pg.Pool, diffId: number): Promise<DiffRow | null> {
  const result = await pool.query<DiffRow>(`SELECT ${diffColumns} FROM inventory_diffs WHERE id = $1`, [diffId]);
  return result.rows[0] ?? null;
}

export async function selectRunDiffs(pool: pg.Pool, runId: string, limit: number): Promise<DiffRow[]> {
  const result = await pool.query<DiffRow>(
    `SELECT ${diffColumns} FROM inventory_diffs WHERE run_id = $1 ORDER BY id LIMIT $2`, [runId, limit]);
  return result.rows;
}

/**
 * Moves a pending diff to its final state; null when it was not pending (any more). Taking it
 * first is what makes two fixes of one diff apply once: the second finds it no longer pending.
 */
export async function closeDiff(
  pool: pg.Pool, diffId: number, status: Exclude<DiffStatus, 'pending'>, fixType: FixType, operator: string,
): Promise<DiffRow | null> {
  const result = await pool.query<DiffRow>(`
    UPDATE inventory_diffs SET status = $2, fix_type = $3, fixed_by = $4, fixed_at = now()
     WHERE id = $1 AND status = 'pending'
    RETURNING ${diffColumns}`, [diffId, status, fixType, operator]);
  return result.rows[0] ?? null;
}

/** Undoes `closeDiff` when the fix itself failed, so the diff can be fixed again. */
export async function reopenDiff(pool: pg.Pool, diffId: number, fixType: FixType): Promise<void> {
  await pool.query(`
    UPDATE inventory_diffs SET status = 'pending', fix_type = NULL, fixed_by = NULL, fixed_at = NULL
     WHERE id = $1 AND status <> 'pending' AND fix_type = $2`, [diffId, fixType]);
}

/** A page of a run's pending diffs within the fix bound, after `afterId` (auto_fix). */
export async function selectFixableDiffIds(
  pool: pg.Pool, runId: string, maxFixAmount: number, afterId: number, limit: number,
): Promise<number[]> {
  const result = await pool.query<{ id: number }>(`
    SELECT id FROM inventory_diffs
     WHERE run_id = $1 AND status = 'pending' AND abs(diff) <= $2 AND id > $3
     ORDER BY id LIMIT $4`, [runId, maxFixAmount, afterId, limit]);
  return result.rows.map((row) => row.id);
}

export async function countPendingDiffs(pool: pg.Pool): Promise<number> {
  const result = await pool.query<{ count: number }>(`SELECT count(*)::bigint AS count FROM inventory_diffs WHERE status = 'pending'`);
  return result.rows[0]!.count;
}
