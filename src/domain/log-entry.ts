/** A row of the ledger (`inventory_logs`) as a change writes it. */
import type { LogOpType } from './stock-ops.js';

/** What a log row does to `inventory_reservations`. */
export type ReservationChange =
  | { action: 'create'; ttlSeconds: number }
  | { action: 'confirmed' | 'released' | 'expired'; reservationId: number };

/** One log row to write: an applied operation with the stock before and after it. */
export interface LogEntry {
  productId: number;
  opType: LogOpType;
  delta: number;
  reservedDelta: number;
  beforeStock: number;
  afterStock: number;
  orderId: string | null;
  reason: string | null;
  operator: string | null;
  traceId: string | null;
  /** The idempotency key its first result is stored under; null for unkeyed ops. */
  idemKey: string | null;
  reservation: ReservationChange | null;
}
