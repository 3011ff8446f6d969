/** What a change answers, and what is stored for a keyed change so its retry replays it. */
import type { InventoryRecord } from './inventory.js';
import type { ReservationRecord } from './reservation.js';
import type { LogOpType } from './stock-ops.js';

/** What one change did to its product: the figures an answer and a stored first result share. */
export interface ChangeFigures {
  /** Change of stock by this operation. */
  delta: number;
  /** Change of reserved by this operation (reservations); 0 for plain deltas. */
  reservedDelta: number;
  beforeStock: number;
  afterStock: number;
  /** The product right after the commit that holds this change (for a replay: as first stored). */
  stock: number;
  reserved: number;
  available: number;
  version: number;
  logId: number;
}

/** The answer to an applied (or replayed) change. The HTTP layer shapes it into the envelope. */
export interface ChangeResult extends ChangeFigures {
  productId: number;
  /** True when this is the stored first result of a retried key. */
  replayed: boolean;
  /** The whole row as that commit left it; null for a replay (the first result stored no row). */
  record: InventoryRecord | null;
  /** The reservation this operation made or ended; null for other operations. */
  reservationId: number | null;
  /**
   * That reservation as the commit left it (for a replay: as first stored); null for other
   * operations, and for a replayed reservation stored before its expiry was kept with it.
   */
  reservation: ReservationRecord | null;
}

/** The first result of a keyed change, as stored in `inventory_idempotency`. */
export interface StoredResult extends ChangeFigures {
  opType: LogOpType;
  reservationId: number | null;
  /** The reservation's expiry, for a stored `reserve`; null otherwise. */
  reservationExpiresAt: Date | null;
  /** When the first result was committed. */
  storedAt: Date;
}

/** A stored first result answered again, with its reservation when the caller knows it. */
export function replayedResult(productId: number, stored: StoredResult, reservation: ReservationRecord | null): ChangeResult {
  return {
    productId, delta: stored.delta, reservedDelta: stored.reservedDelta,
    beforeStock: stored.beforeStock, afterStock: stored.afterStock,
    stock: stored.stock, reserved: stored.reserved, available: stored.available, version: stored.version,
    logId: stored.logId, replayed: true, record: null, reservationId: stored.reservationId, reservation,
  };
}
