/** The rows of `reconcile_runs`: a run's start, progress and end, and the reads of other instances. */
import type pg from 'pg';

export type RunStatus = 'running' | 'completed' | 'failed' | 'aborted';
export type RunTrigger = 'schedule' | 'manual' | 'check';

export interface RunRow {
  run_id: string;
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
  error: string | null;
}

const runColumns = `run_id, status, trigger, instance, started_at, finished_at, progress_at, scanned_rows,
  candidates, settling, moved, diffs_found, alerts_raised, auto_fixed, error`;

/**
 * Called under the run lock: a row still 'running' belongs to an instance that stopped mid-run
 * (its lock went with its connection), so it is closed as failed before a new run starts.
 */
export async function closeAbandonedRuns(client: pg.Pool | pg.ClientBase): Promise<number> {
  const result = await client.query(`
    UPDATE reconcile_runs SET status = 'failed', finished_at = now(),
           error = 'the instance running it stopped before it finished'
     WHERE status = 'running'`);
  return result.rowCount ?? 0;
}

export async function insertRun(client: pg.Pool | pg.ClientBase, runId: string, trigger: RunTrigger, instance: string): Promise<RunRow> {
  const result = await client.query<RunRow>(
    `INSERT INTO reconcile_runs (run_id, trigger, instance) VALUES ($1, $2, $3) RETURNING ${runColumns}`,
    [runId, trigger, instance]);
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

export async function selectRun(pool: pg.Pool, runId: string): Promise<RunRow | null> {
  const result = await pool.query<RunRow>(`SELECT ${runColumns} FROM reconcile_runs WHERE run_id = $1`, [runId]);
  return result.rows[0] ?? null;
}

export async function selectRunningRun(pool: pg.Pool): Promise<RunRow | null> {
  const result = await pool.query<RunRow>(`SELECT ${runColumns} FROM reconcile_runs WHERE status = 'running' LIMIT 1`);
  return result.rows[0] ?? null;
}

export async function selectLastRun(pool: pg.Pool): Promise<RunRow | null> {
  const result = await pool.query<RunRow>(`SELECT ${runColumns} FROM reconcile_runs ORDER BY started_at DESC LIMIT 1`);
  return result.rows[0] ?? null;
}

/** The span of active product ids, or null when there is none. */
export async function selectActiveIdSpan(pool: pg.Pool): Promise<{ min: number; max: number } | null> {
  const result = await pool.query<{ min: number | null; max: number | null }>(
    `SELECT min(product_id) AS min, max(product_id) AS max FROM inventories WHERE status = 'active'`);
  const row = result.rows[0];
  return row?.min == null || row.max == null ? null : { min: row.min, max: row.max };
}
