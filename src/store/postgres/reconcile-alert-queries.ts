/**
 * The alert statements of a reconciliation scan: raising the stock alerts of a chunk and closing
 * the alerts whose condition the chunk shows cleared, in one statement per chunk; and closing the
 * `diff_alert` of products whose difference turned out to be gone. Closed alerts become `closed`
 * (`sent` means a webhook accepted one, see `alert-queries.ts`). Each statement writes the
 * alert.raised / alert.closed events of what it changed to the webhook outbox.
 */
import type pg from 'pg';
import type { AlertType, NewAlert } from '../../domain/alerts.js';
import type { EventRoutes } from '../../domain/events.js';
import { alertColumns, alertEventsSql, openAlertStatuses } from './alert-queries.js';
import { outboxInsertSql, routesParams } from './outbox-queries.js';

export interface ChunkAlerts {
  /** The chunk covers the products after this id, up to and including `throughProductId`. */
  afterProductId: number;
  throughProductId: number;
  /** The stock alerts the chunk's rows call for now. */
  stockAlerts: NewAlert[];
  /** Products whose `diff_alert` must stay as it is: their difference is recorded or still being looked at. */
  keepDiffAlertIds: number[];
}

export interface ChunkAlertChanges {
  raised: { product_id: number; alert_type: AlertType }[];
  cleared: number;
}

/**
 * Raises the chunk's stock alerts that are not pending yet ("one pending alert per product and
 * type"), and closes the pending alerts of the chunk's active products whose condition is gone: a
 * low_stock or out_of_stock the rows no longer call for, and a diff_alert of a product that was
 * not a candidate (Redis agrees with the DB). The range is contiguous from chunk to chunk, so the
 * scan covers every active product of the span; a product that turned active after the chunk was
 * read may have its alert closed unseen, and the next run raises it again if it still holds.
 */
export async function applyChunkAlerts(client: pg.ClientBase, chunk: ChunkAlerts, routes: EventRoutes): Promise<ChunkAlertChanges> {
  const alerts = chunk.stockAlerts;
  const result = await client.query<{ product_id: number; alert_type: AlertType | null }>({
    name: 'reconcile_apply_chunk_alerts',
    text: `
      WITH wanted AS MATERIALIZED (
        SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS w(product_id, alert_type, message, level)
      ), raised AS (
        INSERT INTO inventory_alerts (product_id, alert_type, message, level)
        SELECT product_id, alert_type, message, level FROM wanted
        ON CONFLICT (product_id, alert_type) WHERE status IN ${openAlertStatuses} DO NOTHING
        RETURNING ${alertColumns}
      ), cleared AS (
        UPDATE inventory_alerts a SET status = 'closed', updated_at = now()
         WHERE a.status IN ${openAlertStatuses} AND a.product_id > $5::bigint AND a.product_id <= $6::bigint
           AND CASE a.alert_type
                 WHEN 'diff_alert' THEN a.product_id <> ALL ($7::bigint[])
                 ELSE NOT EXISTS (SELECT 1 FROM wanted w WHERE w.product_id = a.product_id AND w.alert_type = a.alert_type)
               END
           AND EXISTS (SELECT 1 FROM inventories i WHERE i.product_id = a.product_id AND i.status = 'active')
        RETURNING ${alertColumns.split(', ').map((column) => `a.${column}`).join(', ')}
      ), events AS (
        ${outboxInsertSql(`${alertEventsSql('raised', 'alert.raised')} UNION ALL ${alertEventsSql('cleared', 'alert.closed')}`, 8)}
      )
      SELECT product_id, alert_type FROM raised
      UNION ALL
      SELECT product_id, NULL FROM cleared`,
    values: [
      alerts.map((a) => a.productId), alerts.map((a) => a.type), alerts.map((a) => a.message), alerts.map((a) => a.level),
      chunk.afterProductId, chunk.throughProductId, chunk.keepDiffAlertIds, ...routesParams(routes),
    ],
  });
  const changes: ChunkAlertChanges = { raised: [], cleared: 0 };
  for (const row of result.rows) {
    if (row.alert_type === null) changes.cleared += 1;
    else changes.raised.push({ product_id: row.product_id, alert_type: row.alert_type });
  }
  return changes;
}

/** Closes the pending `diff_alert` of products whose candidate difference was gone on a later look. */
export async function closeDiffAlerts(client: pg.ClientBase, productIds: number[], routes: EventRoutes): Promise<number> {
  const result = await client.query({
    name: 'reconcile_close_diff_alerts',
    text: `
      WITH closed AS (
        UPDATE inventory_alerts SET status = 'closed', updated_at = now()
         WHERE product_id = ANY($1::bigint[]) AND alert_type = 'diff_alert' AND status IN ${openAlertStatuses}
        RETURNING ${alertColumns}
      ), events AS (
        ${outboxInsertSql(alertEventsSql('closed', 'alert.closed'), 2)}
      )
      SELECT id FROM closed`,
    values: [productIds, ...routesParams(routes)],
  });
  return result.rowCount ?? 0;
}
