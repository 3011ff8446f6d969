/**
 * Reads of `inventory_alerts` and the closing of single alerts (alerts are raised and closed in
 * bulk by the reconciliation worker, `reconcile-alert-queries.ts`).
 *
 * Status (migration 007_2): an alert is open while `pending` (no webhook has accepted it yet) or
 * `sent` (a webhook answered 2xx to its alert.raised); it ends `closed` (its condition cleared, its
 * diff fixed, or an operator handled it) or `ignored` (dismissed). Every raise and close writes
 * its alert.raised / alert.closed event to the webhook outbox in the same statement.
 */
import type pg from 'pg';
import type { AlertLevel, AlertType } from '../../domain/alerts.js';
import type { EventRoutes } from '../../domain/events.js';
import { outboxInsertSql, routesParams } from './outbox-queries.js';

export type AlertStatus = 'pending' | 'sent' | 'closed' | 'ignored';
export type ClosedAlertStatus = 'closed' | 'ignored';
/** The statuses of an open alert: at most one per product and type (index inventory_alerts_one_open). */
export const openAlertStatuses = `('pending', 'sent')`;

export interface AlertRow {
  id: number;
  product_id: number;
  alert_type: AlertType;
  message: string;
  level: AlertLevel;
  status: AlertStatus;
  created_at: Date;
  updated_at: Date;
  /** When a webhook first accepted it; null while none has. */
  sent_at: Date | null;
}

export const alertColumns = 'id, product_id, alert_type, message, level, status, created_at, updated_at, sent_at';

/**
 * The outbox events of alerts a CTE named `source` returned (with `alertColumns`): an
 * alert.raised names its alert, so a 2xx to it makes the alert `sent`.
 */
export function alertEventsSql(source: string, eventType: 'alert.raised' | 'alert.closed'): string {
  return `SELECT product_id, '${eventType}' AS event_type, ${eventType === 'alert.raised' ? 'id' : 'NULL::bigint'} AS alert_id,
                 jsonb_build_object('alert_id', id, 'product_id', product_id, 'alert_type', alert_type, 'level', level,
                                    'message', message, 'status', status, 'created_at', created_at) AS data
            FROM ${source}`;
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

/** The UPDATE closing the open alerts `where` selects, and the outbox rows of their alert.closed. */
function closeAlertsText(where: string, statusParam: number, routesParam: number): string {
  return `
    WITH closed AS (
      UPDATE inventory_alerts SET status = $${statusParam}, updated_at = now()
       WHERE ${where} AND status IN ${openAlertStatuses}
      RETURNING ${alertColumns}
    ), events AS (
      ${outboxInsertSql(alertEventsSql('closed', 'alert.closed'), routesParam)}
    )
    SELECT ${alertColumns} FROM closed`;
}

/** Closes an open alert; null when there is no such alert or it is not open (any more). */
export async function closeAlert(pool: pg.Pool, alertId: number, status: ClosedAlertStatus, routes: EventRoutes): Promise<AlertRow | null> {
  const result = await pool.query<AlertRow>(closeAlertsText('id = $1', 2, 3), [alertId, status, ...routesParams(routes)]);
  return result.rows[0] ?? null;
}

/** Closes the product's open alert of one type, if any (a diff fixed or ignored closes its diff_alert). */
export async function closeProductAlert(
  pool: pg.Pool, productId: number, type: AlertType, status: ClosedAlertStatus, routes: EventRoutes,
): Promise<boolean> {
  const result = await pool.query(closeAlertsText('product_id = $1 AND alert_type = $5', 2, 3),
    [productId, status, ...routesParams(routes), type]);
  return (result.rowCount ?? 0) > 0;
}
