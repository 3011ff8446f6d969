/** The vocabulary of the engine: a product's state, the operations asked of it, their results. */

export type InventoryStatus = 'active' | 'inactive' | 'locked';
export const inventoryStatuses: readonly InventoryStatus[] = ['active', 'inactive', 'locked'];

/** What an actor knows of one product: a copy of its row at `version`. */
export interface ProductState {
  productId: number;
  stock: number;
  reserved: number;
  version: number;
  status: InventoryStatus;
  minStock: number;
  maxStock: number;
}

export type LogOpType = 'deduct' | 'add' | 'sync' | 'init' | 'reserve' | 'release' | 'confirm' | 'fix' | 'update';

/** A signed change of stock: an order deduction, a restock, or a fix of a Redis difference. */
export interface DeltaOp {
  kind: 'delta';
  productId: number;
  /** Non-zero; its sign picks the log op_type (`deduct` / `add`) unless `opType` says `fix`. */
  delta: number;
  opType: 'deduct' | 'add' | 'fix';
  orderId: string | null;
  idempotencyKey: string | null;
  /** When set, the delta applies only if the product is still at this version. */
  expectedVersion: number | null;
  reason: string | null;
  operator: string | null;
  traceId: string | null;
}

export type StockOp = DeltaOp;

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
}

/** The first result of a keyed change, as stored in `inventory_idempotency`. */
export interface StoredResult extends Omit<ChangeResult, 'replayed'> {
  op_type: string;
}

export function deltaOpType(delta: number): 'deduct' | 'add' {
  return delta < 0 ? 'deduct' : 'add';
}

/**
 * The idempotency key of an operation, or null when it has none. An order's change is keyed by
 * (product, order, op_type) so an order can deduct once and be restocked once; a bare
 * idempotency_key is keyed by (product, key).
 */
export function idempotencyKeyOf(op: StockOp): string | null {
  if (op.orderId !== null) return `o:${op.opType}:${op.orderId}`;
  if (op.idempotencyKey !== null) return `k:${op.idempotencyKey}`;
  return null;
}
