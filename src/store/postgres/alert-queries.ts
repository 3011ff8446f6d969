/** Reads of `inventory_alerts` (alerts are raised by the reconciliation worker). */
import type pg from 'pg';
import type { AlertLevel, AlertType } from '../../reconcile/reconcile-types.js';

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

export interface AlertFilter {
  status: AlertStatus | null;
  type: AlertType | null;
  /** Ids below this one (the previous page's `next_cursor`), newest first. */
  beforeId: number | null;
  limit: number;
}

export async function listAlerts(pool: pg.Pool, filter: AlertFilter): Promise<AlertRow[]> {
  const result = await pool.query<AlertRow>({
    text: `SELECT id, product_id, alert_type, message, level, status, created_at, updated_at
             FROM inventory_alerts
            WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR alert_type = $2)
              AND ($3::bigint IS NULL OR id < $3)
            ORDER BY id DESC LIMIT $4`,
    values: [filter.status, filter.type, filter.beforeId, filter.limit],
  });
  return result.rows;
}
