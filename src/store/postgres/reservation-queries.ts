/** Reads of `inventory_reservations` outside the engine (writes happen only in flushes). */
import type pg from 'pg';
import type { ReservationStatus } from '../../domain/reservation.js';

export interface ReservationView {
  reservation_id: number;
  product_id: number;
  order_id: string;
  quantity: number;
  status: ReservationStatus;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
  /** The order hold this reservation is a line of, or null for a single reservation. */
  hold_order_id: string | null;
}

export async function selectReservation(pool: pg.Pool, reservationId: number): Promise<ReservationView | null> {
  const result = await pool.query<ReservationView>({
    name: 'reservation_select_one',
    text: `SELECT id AS reservation_id, product_id, order_id, quantity, status, expires_at, created_at, updated_at,
                  CASE WHEN order_hold THEN order_id END AS hold_order_id
             FROM inventory_reservations WHERE id = $1`,
    values: [reservationId],
  });
  return result.rows[0] ?? null;
}

export interface DueReservation { id: number; product_id: number }

/** Pending single reservations past their expiry, oldest first: the sweeper's next batch (order lines expire with their order). */
export async function selectDueReservations(pool: pg.Pool, limitRows: number): Promise<DueReservation[]> {
  const result = await pool.query<DueReservation>({
    name: 'reservation_select_due',
    text: `SELECT id, product_id FROM inventory_reservations
            WHERE status = 'pending' AND expires_at <= now() AND NOT order_hold
            ORDER BY expires_at LIMIT $1::int`,
    values: [limitRows],
  });
  return result.rows;
}
