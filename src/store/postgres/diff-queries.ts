/** Reads and state changes of recorded diffs (`inventory_diffs`), and the row lock a fix holds. */
import type pg from 'pg';
import { pgErrorCodes } from '../../errors.js';

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

export interface DiffFilter {
  status: DiffStatus | null;
  runId: string | null;
  productId: number | null;
  /** Ids below this one (the previous page's `next_cursor`), newest first. */
  beforeId: number | null;
  limit: number;
}

/** A page of diffs, newest first (keyset on id: the `inventory_diffs_id` and `(status, id)` indexes). */
export async function listDiffs(pool: pg.Pool, filter: DiffFilter): Promise<DiffRow[]> {
  const result = await pool.query<DiffRow>({
    text: `SELECT ${diffColumns}
             FROM inventory_diffs
            WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR run_id = $2)
              AND ($3::bigint IS NULL OR product_id = $3) AND ($4::bigint IS NULL OR id < $4)
            ORDER BY id DESC LIMIT $5`,
    values: [filter.status, filter.runId, filter.productId, filter.beforeId, filter.limit],
  });
  return result.rows;
}

export async function selectRunDiffs(pool: pg.Pool, runId: string, limit: number): Promise<DiffRow[]> {
  const result = await pool.query<DiffRow>(
    `SELECT ${diffColumns} FROM inventory_diffs WHERE run_id = $1 ORDER BY id LIMIT $2`, [runId, limit]);
  return result.rows;
}

/**
 * Moves a pending diff to its final state, provided it still holds the finding `seen` (a run may
 * refresh a pending diff with newer values meanwhile); null when it was not pending or was
 * refreshed. Taking it first is what makes two fixes of one diff apply once: the second finds it
 * no longer pending.
 */
export async function closeDiff(
  pool: pg.Pool, seen: DiffRow, status: Exclude<DiffStatus, 'pending'>, fixType: FixType, operator: string,
): Promise<DiffRow | null> {
  const result = await pool.query<DiffRow>(`
    UPDATE inventory_diffs SET status = $2, fix_type = $3, fixed_by = $4, fixed_at = now()
     WHERE id = $1 AND status = 'pending' AND diff = $5
       AND redis_stock IS NOT DISTINCT FROM $6 AND db_version IS NOT DISTINCT FROM $7
    RETURNING ${diffColumns}`, [seen.id, status, fixType, operator, seen.diff, seen.redis_stock, seen.db_version]);
  return result.rows[0] ?? null;
}

/**
 * Undoes `closeDiff` when the fix certainly did not apply, so the diff can be fixed again. If a
 * run recorded a newer pending diff for the product meanwhile (at most one may be pending), that
 * one supersedes this diff, which is then closed as ignored instead. Returns the final status.
 */
export async function reopenDiff(pool: pg.Pool, diffId: number, fixType: FixType): Promise<DiffStatus> {
  try {
    await pool.query(`
      UPDATE inventory_diffs SET status = 'pending', fix_type = NULL, fixed_by = NULL, fixed_at = NULL
       WHERE id = $1 AND status <> 'pending' AND fix_type = $2`, [diffId, fixType]);
    return 'pending';
  } catch (error) {
    if ((error as { code?: string }).code !== pgErrorCodes.uniqueViolation) throw error;
    await pool.query(`
      UPDATE inventory_diffs SET status = 'ignored', fix_type = 'ignore', fixed_by = 'superseded by a newer diff', fixed_at = now()
       WHERE id = $1 AND fix_type = $2`, [diffId, fixType]);
    return 'ignored';
  }
}

/**
 * A page of a run's pending diffs that auto_fix (use_db) may take, after `afterId`: within the fix
 * bound, or a missing key (restoring it is not bounded: see `isKeyRestore` in diff-fixes.ts).
 */
export async function selectFixableDiffIds(
  pool: pg.Pool, runId: string, maxFixAmount: number, afterId: number, limit: number,
): Promise<number[]> {
  const result = await pool.query<{ id: number }>(`
    SELECT id FROM inventory_diffs
     WHERE run_id = $1 AND status = 'pending' AND (abs(diff) <= $2 OR redis_stock IS NULL) AND id > $3
     ORDER BY id LIMIT $4`, [runId, maxFixAmount, afterId, limit]);
  return result.rows.map((row) => row.id);
}

export async function countPendingDiffs(pool: pg.Pool): Promise<number> {
  const result = await pool.query<{ count: number }>(`SELECT count(*)::bigint AS count FROM inventory_diffs WHERE status = 'pending'`);
  return result.rows[0]!.count;
}

export interface LockedRow { available: number; version: number }

/**
 * Runs `work` while holding the product's row lock (`SELECT … FOR UPDATE` in a transaction), with
 * the row as it is under the lock, or null when the product does not exist. No commit can move the
 * product meanwhile, so a fix that writes Redis from the row cannot be overtaken by one.
 */
export async function withProductRowLock<T>(
  pool: pg.Pool, productId: number, work: (row: LockedRow | null) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await client.query<LockedRow>(
      'SELECT available, version FROM inventories WHERE product_id = $1 FOR UPDATE', [productId]);
    const value = await work(result.rows[0] ?? null);
    await client.query('COMMIT');
    return value;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => { broken = rollbackError; });
    throw error;
  } finally {
    client.release(broken);
  }
}
