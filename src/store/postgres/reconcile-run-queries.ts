/**
 * The rows of `reconcile_runs`: a run's start, progress and end, and the reads of other instances.
 * Two kinds of run share the table: reconciliation runs and rebuilds of Redis (one running of each).
 */
import type pg from 'pg';
import type { EventRoutes } from '../../domain/events.js';
import { outboxInsertSql, routesParams } from './outbox-queries.js';

export type RunStatus = 'running' | 'completed' | 'failed' | 'aborted';
export type RunKind = 'reconcile' | 'rebuild';
/** `redis_empty`: a rebuild the service started by itself after finding Redis empty. */
export type RunTrigger = 'schedule' | 'manual' | 'check' | 'redis_empty';

export interface RunRow {
  run_id: string;
  kind: RunKind;
  status: RunStatus;
  trigger: RunTrigger;
  instance: string;
  started_at: Date;
  finished_at: Date | null;
  progress_at: Date | null;
  scanned_rows: number;
  candidates: number;
  /** Candidates that needed the settling look, and those of them that had moved by then. */
  settling: number;
  moved: number;
  diffs_found: number;
  alerts_raised: number;
  auto_fixed: number;
  /** Rebuilds: keys written, and keys left alone because Redis held a newer version (seckill: any value). */
  keys_written: number;
  keys_skipped: number;
  error: string | null;
}

const runColumns = `run_id, kind, status, trigger, instance, started_at, finished_at, progress_at, scanned_rows,
  candidates, settling, moved, diffs_found, alerts_raised, auto_fixed, keys_written, keys_skipped, error`;

/**
 * Called under the kind's run lock: a row of that kind still 'running' belongs to an instance that
 * stopped mid-run (its lock went with its connection), so it is closed as failed before a new run starts.
 */
export async function closeAbandonedRuns(client: pg.Pool | pg.ClientBase, kind: RunKind): Promise<number> {
  const result = await client.query(`
    UPDATE reconcile_runs SET status = 'failed', finished_at = now(),
           error = 'the instance running it stopped before it finished'
     WHERE status = 'running' AND kind = $1`, [kind]);
  return result.rowCount ?? 0;
}

export async function insertRun(
  client: pg.Pool | pg.ClientBase, runId: string, kind: RunKind, trigger: RunTrigger, instance: string,
): Promise<RunRow> {
  const result = await client.query<RunRow>(
    `INSERT INTO reconcile_runs (run_id, kind, trigger, instance) VALUES ($1, $2, $3, $4) RETURNING ${runColumns}`,
    [runId, kind, trigger, instance]);
  return result.rows[0]!;
}

export async function updateRunProgress(client: pg.Pool | pg.ClientBase, runId: string, scannedRows: number): Promise<void> {
  await client.query(
    `UPDATE reconcile_runs SET scanned_rows = $2, progress_at = now() WHERE run_id = $1 AND status = 'running'`,
    [runId, scannedRows]);
}

export interface RunTotals {
  scannedRows: number;
  candidates: number;
  settling: number;
  moved: number;
  diffsFound: number;
  alertsRaised: number;
  autoFixed: number;
}

/**
 * Records the end of a run that is still `running`; null when it is not any more: another instance
 * closed it as abandoned after this one lost its lock, and that verdict stands.
 */
export async function finishRun(
  client: pg.Pool | pg.ClientBase, runId: string, status: Exclude<RunStatus, 'running'>, totals: RunTotals, error: string | null,
): Promise<RunRow | null> {
  const result = await client.query<RunRow>(`
    UPDATE reconcile_runs
       SET status = $2, finished_at = now(), progress_at = now(), scanned_rows = $3, candidates = $4,
           settling = $5, moved = $6, diffs_found = $7, alerts_raised = $8, auto_fixed = $9, error = $10
     WHERE run_id = $1 AND status = 'running'
    RETURNING ${runColumns}`,
  [runId, status, totals.scannedRows, totals.candidates, totals.settling, totals.moved, totals.diffsFound,
    totals.alertsRaised, totals.autoFixed, error]);
  return result.rows[0] ?? null;
}

export interface RebuildTotals { scannedRows: number; keysWritten: number; keysSkipped: number }

/**
 * As `finishRun`, for a rebuild, and in the same statement its `rebuild.finished` event for the
 * webhooks that want it (`routes`): the event exists exactly when the run's end was recorded.
 */
export async function finishRebuildRun(
  client: pg.Pool | pg.ClientBase, runId: string, status: Exclude<RunStatus, 'running'>, totals: RebuildTotals, error: string | null,
  routes: EventRoutes,
): Promise<RunRow | null> {
  const event = `
    SELECT NULL::bigint AS product_id, 'rebuild.finished'::text AS event_type, NULL::bigint AS alert_id,
           jsonb_build_object('run_id', f.run_id, 'status', f.status, 'trigger', f.trigger, 'rows', f.scanned_rows,
             'keys_written', f.keys_written, 'keys_skipped', f.keys_skipped, 'started_at', f.started_at,
             'finished_at', f.finished_at, 'error', f.error) AS data
      FROM f`;
  const result = await client.query<RunRow>(`
    WITH f AS (
      UPDATE reconcile_runs
         SET status = $2, finished_at = now(), progress_at = now(), scanned_rows = $3, keys_written = $4, keys_skipped = $5, error = $6
       WHERE run_id = $1 AND status = 'running' AND kind = 'rebuild'
      RETURNING ${runColumns}
    ), o AS (${outboxInsertSql(event, 7)})
    SELECT ${runColumns} FROM f`,
  [runId, status, totals.scannedRows, totals.keysWritten, totals.keysSkipped, error, ...routesParams(routes)]);
  return result.rows[0] ?? null;
}

export async function selectRun(pool: pg.Pool, runId: string): Promise<RunRow | null> {
  const result = await pool.query<RunRow>(`SELECT ${runColumns} FROM reconcile_runs WHERE run_id = $1`, [runId]);
  return result.rows[0] ?? null;
}

export async function selectRunningRun(pool: pg.Pool, kind: RunKind): Promise<RunRow | null> {
  const result = await pool.query<RunRow>(`SELECT ${runColumns} FROM reconcile_runs WHERE status = 'running' AND kind = $1 LIMIT 1`, [kind]);
  return result.rows[0] ?? null;
}

export async function selectLastRun(pool: pg.Pool, kind: RunKind): Promise<RunRow | null> {
  const result = await pool.query<RunRow>(`SELECT ${runColumns} FROM reconcile_runs WHERE kind = $1 ORDER BY started_at DESC LIMIT 1`, [kind]);
  return result.rows[0] ?? null;
}

/** The span of active product ids, or null when there is none. */
export async function selectActiveIdSpan(pool: pg.Pool): Promise<{ min: number; max: number } | null> {
  const result = await pool.query<{ min: number | null; max: number | null }>(
    `SELECT min(product_id) AS min, max(product_id) AS max FROM inventories WHERE status = 'active'`);
  const row = result.rows[0];
  return row?.min == null || row.max == null ? null : { min: row.min, max: row.max };
}
