/** The deletion of idempotency records past their retention, one bounded batch per statement. */
import type pg from 'pg';

/**
 * Deletes up to `limitRows` records created before `cutoff`, oldest first, and answers how many.
 * A record whose reservation is still pending is kept (a retry of that reserve must replay, and
 * the reservation's own row would refuse a fresh one). Rows are addressed by ctid from the
 * statement's own snapshot: idempotency records are never updated, so a ctid cannot move.
 */
export async function deleteExpiredKeys(client: pg.ClientBase, cutoff: Date, limitRows: number): Promise<number> {
  const result = await client.query({
    name: 'ledger_delete_expired_keys',
    text: `
      DELETE FROM inventory_idempotency
       WHERE ctid = ANY(ARRAY(
         SELECT k.ctid FROM inventory_idempotency k
          WHERE k.created_at < $1
            AND NOT EXISTS (SELECT 1 FROM inventory_reservations r
                             WHERE r.product_id = k.product_id AND r.id = k.reservation_id AND r.status = 'pending')
          ORDER BY k.created_at
          LIMIT $2::int))`,
    values: [cutoff, limitRows],
  });
  return result.rowCount ?? 0;
}
