/** What a change answers, and what is stored for a keyed change so its retry replays it. */

/** The answer to an applied (or replayed) change; the shape of the sync response's `data`. */
export interface ChangeResult {
  product_id: number;
  delta: number;
  before_stock: number;
  after_stock: number;
  stock: number;
  reserved: number;
  available: number;
  version: number;
  log_id: number;
  replayed: boolean;
  /** Change of reserved (reservations); 0 for plain deltas. */
  reserved_delta: number;
  /** The reservation made or ended; null for other operations. */
  reservation_id: number | null;
}

/** The first result of a keyed change, as stored in `inventory_idempotency`. */
export interface StoredResult extends Omit<ChangeResult, 'replayed'> {
  op_type: string;
}

