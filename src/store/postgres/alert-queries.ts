/**
 * Reads of `inventory_alerts` and the closing of single alerts (alerts are raised and closed in
 * bulk by the reconciliation worker, `reconcile-alert-queries.ts`).
 *
 * Status: `pending` is open (the condition held at the last scan and nobody closed it); `sent` is
 * delivered and closed (logged at WARN when raised, then cleared by a scan, its diff fixed, or
 * acknowledged by an operator); `ignored` is dismissed by an operator (or its diff ignored).
 */
import type pg from 'pg';
import type { AlertLevel, AlertType } from '../../domain/alerts.js';

export type AlertStatus = 'pending' | 'sent' | 'ignored';

export interface AlertRow {
  id: number;
  product_id: number;
  alert_type: AlertType;
  message: string;
  level: AlertLevel;
  status: AlertStatus;
  created_at: Date;
  updated_at: Date;
}

const alertColumns = 'id, product_id, alert_type, message, level, status, created_at, updated_at';

export interface AlertFilter {
  status: AlertStatus | null;
  type: AlertType | null;
  /** Ids below this one (the previous page's `next_cursor`), newest first. */
  beforeId: number | null;
  limit: number;
}

export async function listAlerts(pool: pg.Pool, filter: AlertFilter): Promise<AlertRow[]> {
  const result = await pool.query<AlertRow>({
    text: `SELECT ${alertColumns}
             FROM inventory_alerts
            WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR alert_type = $2)
              AND ($3::bigint IS NULL OR id < $3)
            ORDER BY id DESC LIMIT $4`,
    values: [filter.status, filter.type, filter.beforeId, filter.limit],
  });
  return result.rows;
}

export async function selectAlert(pool: pg.Pool, alertId: number): Promise<AlertRow | null> {
  const result = await pool.query<AlertRow>(`SELECT ${alertColumns} FROM inventory_alerts WHERE id = $1`, [alertId]);
  return result.rows[0] ?? null;
}

/** Closes a pending alert; null when there is no such alert or it is not pending (any more). */
export async function closeAlert(pool: pg.Pool, alertId: number, status: Exclude<AlertStatus, 'pending'>): Promise<AlertRow | null> {
  const result = await pool.query<AlertRow>(`
    UPDATE inventory_alerts SET status = $2, updated_at = now()
     WHERE id = $1 AND status = 'pending'
    RETURNING ${alertColumns}`, [alertId, status]);
  return result.rows[0] ?? null;
}

/** Closes the product's pending alert of one type, if any (a diff fixed or ignored closes its diff_alert). */
export async function closeProductAlert(
  pool: pg.Pool, productId: number, type: AlertType, status: Exclude<AlertStatus, 'pending'>,
): Promise<boolean> {
  const result = await pool.query(`
    UPDATE inventory_alerts SET status = $3, updated_at = now()
     WHERE product_id = $1 AND alert_type = $2 AND status = 'pending'`, [productId, type, status]);
  return (result.rowCount ?? 0) > 0;
}
