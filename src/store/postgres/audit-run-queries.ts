/** The rows of `ledger_audit_runs` and `ledger_audit_findings` (migration 006_4). */
import type pg from 'pg';
import type { AuditProblem } from '../../domain/ledger.js';

export type AuditRunStatus = 'running' | 'completed' | 'failed' | 'aborted';

export interface AuditRunRow {
  run_id: string;
  status: AuditRunStatus;
  instance: string;
  started_at: Date;
  finished_at: Date | null;
  products: number;
  rows_scanned: number;
  disagreements: number;
  findings_kept: number;
  error: string | null;
}

export interface AuditFindingRow {
  product_id: number;
  problems: AuditProblem[];
  stock: number | null;
  reserved: number | null;
  ledger_stock: number;
  ledger_reserved: number;
  first_break_log_id: number | null;
  rows_checked: number;
}

const runColumns = 'run_id, status, instance, started_at, finished_at, products, rows_scanned, disagreements, findings_kept, error';

/** Called under the audit lock: a row still 'running' belongs to an instance that stopped mid-run. */
export async function closeAbandonedAuditRuns(pool: pg.Pool): Promise<number> {
  const result = await pool.query(`
    UPDATE ledger_audit_runs SET status = 'failed', finished_at = now(), error = 'the instance running it stopped before it finished'
     WHERE status = 'running'`);
  return result.rowCount ?? 0;
}

export async function insertAuditRun(pool: pg.Pool, runId: string, instance: string): Promise<void> {
  await pool.query('INSERT INTO ledger_audit_runs (run_id, instance) VALUES ($1, $2)', [runId, instance]);
}

export async function updateAuditProgress(pool: pg.Pool, runId: string, products: number, rows: number): Promise<void> {
  await pool.query(`UPDATE ledger_audit_runs SET products = $2, rows_scanned = $3 WHERE run_id = $1 AND status = 'running'`,
    [runId, products, rows]);
}

export interface AuditTotals { products: number; rows: number; disagreements: number; findingsKept: number }

/** Ends a run still running (null when another instance closed it meanwhile). */
export async function finishAuditRun(
  pool: pg.Pool, runId: string, status: Exclude<AuditRunStatus, 'running'>, totals: AuditTotals, error: string | null,
): Promise<AuditRunRow | null> {
  const result = await pool.query<AuditRunRow>(`
    UPDATE ledger_audit_runs
       SET status = $2, finished_at = now(), products = $3, rows_scanned = $4, disagreements = $5, findings_kept = $6, error = $7
     WHERE run_id = $1 AND status = 'running'
    RETURNING ${runColumns}`,
  [runId, status, totals.products, totals.rows, totals.disagreements, totals.findingsKept, error]);
  return result.rows[0] ?? null;
}

export async function selectAuditRun(pool: pg.Pool, runId: string): Promise<AuditRunRow | null> {
  const result = await pool.query<AuditRunRow>(`SELECT ${runColumns} FROM ledger_audit_runs WHERE run_id = $1`, [runId]);
  return result.rows[0] ?? null;
}

export async function selectRunningAuditRun(pool: pg.Pool): Promise<AuditRunRow | null> {
  const result = await pool.query<AuditRunRow>(`SELECT ${runColumns} FROM ledger_audit_runs WHERE status = 'running'`);
  return result.rows[0] ?? null;
}

export async function insertAuditFindings(pool: pg.Pool, runId: string, findings: AuditFindingRow[]): Promise<void> {
  if (findings.length === 0) return;
  await pool.query(`
    INSERT INTO ledger_audit_findings (run_id, product_id, problems, stock, reserved, ledger_stock, ledger_reserved,
                                       first_break_log_id, rows_checked)
    SELECT $1, f.product_id, string_to_array(f.problems, ','), f.stock, f.reserved, f.ledger_stock, f.ledger_reserved,
           f.first_break_log_id, f.rows_checked
      FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[])
           AS f(product_id, problems, stock, reserved, ledger_stock, ledger_reserved, first_break_log_id, rows_checked)`,
  [runId, findings.map((f) => f.product_id), findings.map((f) => f.problems.join(',')), findings.map((f) => f.stock),
    findings.map((f) => f.reserved), findings.map((f) => f.ledger_stock), findings.map((f) => f.ledger_reserved),
    findings.map((f) => f.first_break_log_id), findings.map((f) => f.rows_checked)]);
}

/** The first findings of a run, in product order. */
export async function selectAuditFindings(pool: pg.Pool, runId: string, limitRows: number): Promise<AuditFindingRow[]> {
  const result = await pool.query<AuditFindingRow>(`
    SELECT product_id, problems, stock, reserved, ledger_stock, ledger_reserved, first_break_log_id, rows_checked
      FROM ledger_audit_findings WHERE run_id = $1 ORDER BY product_id LIMIT $2::int`, [runId, limitRows]);
  return result.rows;
}
