/**
 * The webhook outbox (`webhook_outbox`, migration 007_2): events written in the transaction of the
 * change that causes them, one row per subscribed webhook, and the delivery worker's claim and
 * outcome statements. Statements that cause events themselves (the flush, the alert and diff
 * statements) embed `outboxInsertSql` as a CTE; everything else calls `enqueueEvents` on the
 * client of its own transaction.
 */
import type pg from 'pg';
import { assert } from '../../assert.js';
import type { EventRoutes, OutboxEvent, WebhookEventType } from '../../domain/events.js';

/**
 * An INSERT of the outbox rows of `eventsSql`, a query with the columns product_id, event_type,
 * data (json) and alert_id, once per webhook that `$routesParam` (event types) and
 * `$routesParam+1` (urls) route that event type to. Empty routes insert nothing.
 */
export function outboxInsertSql(eventsSql: string, routesParam: number): string {
  return `INSERT INTO webhook_outbox (product_id, event_type, webhook_url, data, alert_id)
    SELECT ev.product_id, ev.event_type, r.url, ev.data, ev.alert_id
      FROM (${eventsSql}) ev
      JOIN unnest($${routesParam}::text[], $${routesParam + 1}::text[]) AS r(event_type, url) ON r.event_type = ev.event_type`;
}

/** The two parameters `outboxInsertSql` reads. */
export function routesParams(routes: EventRoutes): [readonly string[], readonly string[]] {
  assert(routes.eventTypes.length === routes.urls.length, 'routes are pairs');
  return [routes.eventTypes, routes.urls];
}

/**
 * Writes events to the outbox on `client`, which must be inside the transaction of the change they
 * announce (or be that change's own statement), so they commit or roll back with it. Returns the
 * rows written (events × subscribed webhooks).
 */
export async function enqueueEvents(client: pg.ClientBase, routes: EventRoutes, events: readonly OutboxEvent[]): Promise<number> {
  if (events.length === 0 || routes.eventTypes.length === 0) return 0;
  const result = await client.query({
    name: 'outbox_enqueue_events',
    text: outboxInsertSql(
      `SELECT product_id, event_type, data, NULL::bigint AS alert_id
         FROM unnest($1::bigint[], $2::text[], $3::jsonb[]) AS e(product_id, event_type, data)`, 4),
    values: [
      events.map((event) => event.productId), events.map((event) => event.type),
      events.map((event) => JSON.stringify(event.data)), ...routesParams(routes),
    ],
  });
  return result.rowCount ?? 0;
}

export type OutboxStatus = 'pending' | 'delivered' | 'failed';

export interface ClaimedDelivery {
  id: number;
  product_id: number | null;
  event_type: WebhookEventType;
  webhook_url: string;
  data: Record<string, unknown>;
  /** Including the attempt this claim starts. */
  attempts: number;
  created_at: Date;
}

/**
 * Claims due deliveries for the given webhooks, oldest first: rows another worker holds are
 * skipped (SKIP LOCKED), and the claim leases each row for `leaseMs` by moving its next attempt
 * past the send, so no other worker takes it while it is being sent. A worker that dies
 * mid-send leaves the row to be sent again when the lease runs out: at least once.
 */
export async function claimDeliveries(pool: pg.Pool, urls: readonly string[], limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const result = await pool.query<ClaimedDelivery>({
    name: 'outbox_claim_deliveries',
    text: `
      WITH due AS (
        SELECT id FROM webhook_outbox
         WHERE status = 'pending' AND next_attempt_at <= now() AND webhook_url = ANY($1::text[])
         ORDER BY next_attempt_at, id
         LIMIT $2
           FOR UPDATE SKIP LOCKED
      )
      UPDATE webhook_outbox o
         SET attempts = o.attempts + 1, next_attempt_at = now() + $3::bigint * interval '1 millisecond'
        FROM due WHERE o.id = due.id
      RETURNING o.id, o.product_id, o.event_type, o.webhook_url, o.data, o.attempts, o.created_at`,
    values: [urls, limit, leaseMs],
  });
  return result.rows.sort((a, b) => a.id - b.id);
}

export type DeliveryOutcome =
  | { kind: 'delivered'; httpStatus: number }
  | { kind: 'retry'; httpStatus: number | null; error: string; retryInMs: number }
  | { kind: 'failed'; httpStatus: number | null; error: string };

/**
 * Records one attempt's outcome. A delivered alert.raised makes its alert `sent` (if it is still
 * open and unsent: a closed alert stays closed, with the time it was delivered).
 */
export async function recordDelivery(pool: pg.Pool, id: number, outcome: DeliveryOutcome): Promise<void> {
  const status: OutboxStatus = outcome.kind === 'retry' ? 'pending' : outcome.kind;
  const error = outcome.kind === 'delivered' ? null : outcome.error;
  const retryInMs = outcome.kind === 'retry' ? outcome.retryInMs : 0;
  await pool.query({
    name: 'outbox_record_delivery',
    text: `
      WITH o AS (
        UPDATE webhook_outbox
           SET status = $2, last_status = $3, last_error = $4,
               delivered_at = CASE WHEN $2 = 'delivered' THEN now() END,
               next_attempt_at = now() + $5::bigint * interval '1 millisecond'
         WHERE id = $1 AND status = 'pending'
        RETURNING alert_id, status
      )
      UPDATE inventory_alerts a
         SET status = CASE WHEN a.status = 'pending' THEN 'sent' ELSE a.status END, sent_at = now(), updated_at = now()
        FROM o
       WHERE o.status = 'delivered' AND a.id = o.alert_id AND a.sent_at IS NULL`,
    values: [id, status, outcome.httpStatus, error, retryInMs],
  });
}

/**
 * Deletes up to `limit` delivered or failed rows created before `retentionHours` ago, oldest first
 * (by id, in creation order: the scan starts at the oldest rows and meets few pending ones, which
 * live at most attempts_max retries). Returns the rows deleted.
 */
export async function deleteExpiredDeliveries(pool: pg.Pool, retentionHours: number, limit: number): Promise<number> {
  const result = await pool.query({
    name: 'outbox_delete_expired',
    text: `
      DELETE FROM webhook_outbox WHERE id IN (
        SELECT id FROM webhook_outbox
         WHERE status <> 'pending' AND created_at < now() - $1::int * interval '1 hour'
         ORDER BY id LIMIT $2)`,
    values: [retentionHours, limit],
  });
  return result.rowCount ?? 0;
}

export interface OutboxCounts { pending: number; failed: number }

/** Read at every scrape: each count reads its own partial index, never the delivered rows. */
export async function countOutbox(pool: pg.Pool): Promise<OutboxCounts> {
  const result = await pool.query<OutboxCounts>({
    name: 'outbox_count',
    text: `SELECT (SELECT count(*) FROM webhook_outbox WHERE status = 'pending')::int AS pending,
                  (SELECT count(*) FROM webhook_outbox WHERE status = 'failed')::int AS failed`,
  });
  return result.rows[0]!;
}
