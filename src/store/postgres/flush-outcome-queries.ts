/**
 * What the engine asks PostgreSQL after a connection died while a flush's write was in flight,
 * on a fresh connection: is the old backend gone, and which of the flush's rows landed.
 */
import type pg from 'pg';
import { bigintArrayLiteral, textArrayLiteral } from './array-literals.js';

/** Ends the old backend (a no-op when it already died with its connection) and says whether it is gone. */
export async function endBackend(client: pg.ClientBase, backendPid: number): Promise<boolean> {
  await client.query({ name: 'outcome_terminate_backend', text: 'SELECT pg_terminate_backend($1)', values: [backendPid] }).catch(() => {});
  const alive = await client.query({ name: 'outcome_backend_alive', text: 'SELECT 1 FROM pg_stat_activity WHERE pid = $1', values: [backendPid] });
  return alive.rowCount === 0;
}

export interface CurrentRow { product_id: number; version: number; product_name: string; created_at: Date }

export async function selectCurrentRows(client: pg.ClientBase, productIds: readonly number[]): Promise<Map<number, CurrentRow>> {
  const result = await client.query<CurrentRow>({
    name: 'outcome_current_rows',
    text: 'SELECT product_id, version, product_name, created_at FROM inventories WHERE product_id = ANY($1::bigint[])',
    values: [bigintArrayLiteral(productIds)],
  });
  return new Map(result.rows.map((row) => [row.product_id, row]));
}

/** A product's newest log rows, newest first (its primary key's index, read backwards). */
export async function selectNewestLogs(client: pg.ClientBase, productId: number, rows: number): Promise<{ id: number; flush_id: number | null }[]> {
  const result = await client.query<{ id: number; flush_id: number | null }>({
    name: 'outcome_newest_logs',
    text: 'SELECT id, flush_id FROM inventory_logs WHERE product_id = $1 ORDER BY id DESC LIMIT $2',
    values: [productId, rows],
  });
  return result.rows;
}

export interface LandedLogs { logIds: number[]; committedAt: Date }

/**
 * The log rows a flush wrote, by product, ids ascending. Only the rows of the last hour are
 * searched: the flush wrote them moments ago, and a time-partitioned log then reads its newest
 * partition only.
 */
export async function selectFlushLogs(client: pg.ClientBase, productIds: readonly number[], flushId: number): Promise<Map<number, LandedLogs>> {
  const result = await client.query<{ product_id: number; log_ids: number[]; committed_at: Date }>({
    name: 'outcome_flush_logs',
    text: `SELECT product_id, array_agg(id ORDER BY id) AS log_ids, min(created_at) AS committed_at
             FROM inventory_logs
            WHERE product_id = ANY($1::bigint[]) AND flush_id = $2 AND created_at > now() - interval '1 hour'
            GROUP BY product_id`,
    values: [bigintArrayLiteral(productIds), flushId],
  });
  return new Map(result.rows.map((row) => [row.product_id, { logIds: row.log_ids, committedAt: row.committed_at }]));
}

/** The reservations a landed flush created, by (product, order): an order reserves a product once. */
export async function selectCreatedReservations(
  client: pg.ClientBase, created: readonly { productId: number; orderId: string }[],
): Promise<Map<string, number>> {
  const result = await client.query<{ product_id: number; order_id: string; id: number }>({
    name: 'outcome_created_reservations',
    text: `SELECT r.product_id, r.order_id, r.id
             FROM unnest($1::bigint[], $2::text[]) AS k(product_id, order_id)
             JOIN inventory_reservations r ON r.product_id = k.product_id AND r.order_id = k.order_id`,
    values: [bigintArrayLiteral(created.map((c) => c.productId)), textArrayLiteral(created.map((c) => c.orderId))],
  });
  return new Map(result.rows.map((row) => [`${row.product_id}:${row.order_id}`, row.id]));
}
