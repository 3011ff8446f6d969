/** The operations asked of a product, and how each is keyed for idempotency. */
import { assertNever } from '../assert.js';
import type { ProductChanges } from './inventory.js';

export type LogOpType = 'deduct' | 'add' | 'sync' | 'init' | 'reserve' | 'release' | 'confirm' | 'fix' | 'update';

/** Fields every operation carries into its log row. */
interface OpAudit {
  productId: number;
  reason: string | null;
  operator: string | null;
  traceId: string | null;
}

/** A signed change of stock: an order deduction, a restock, or a fix of a Redis difference. */
export interface DeltaOp extends OpAudit {
  kind: 'delta';
  /** Non-zero; its sign picks the log op_type (`deduct` / `add`) unless `opType` says `fix`. */
  delta: number;
  opType: 'deduct' | 'add' | 'fix';
  orderId: string | null;
  idempotencyKey: string | null;
  /** When set, the delta applies only if the product is still at this version. */
  expectedVersion: number | null;
}

/** Holds `quantity` of available stock for an order until it is confirmed, released or expires. */
export interface ReserveOp extends OpAudit {
  kind: 'reserve';
  quantity: number;
  /** An order reserves a product once: the key is (product, 'reserve', order_id). */
  orderId: string;
  ttlSeconds: number;
}

/**
 * Ends a pending reservation: `confirm` turns it into a deduction, `release` frees it, `expire`
 * frees it because its time passed (the sweeper's op). Its state is read under the product's row
 * lock in the flush that ends it.
 */
export interface FinishReservationOp extends OpAudit {
  kind: 'confirm' | 'release' | 'expire';
  reservationId: number;
}

/** An operator's compare-and-set of a product's fields: alone in its product's flush. */
export interface UpdateOp extends OpAudit {
  kind: 'update';
  expectedVersion: number;
  changes: ProductChanges;
}

export type StockOp = DeltaOp | ReserveOp | FinishReservationOp | UpdateOp;
export type StockOpKind = StockOp['kind'];

export function deltaOpType(delta: number): 'deduct' | 'add' {
  return delta < 0 ? 'deduct' : 'add';
}

/** Ops whose product must be loaded under its row lock in their flush, with their reservations. */
export function needsLockedLoad(op: StockOp): boolean {
  return op.kind === 'confirm' || op.kind === 'release' || op.kind === 'expire';
}

/** The version a compare-and-set op names, or null. */
export function expectedVersionOf(op: StockOp): number | null {
  switch (op.kind) {
    case 'delta': return op.expectedVersion;
    case 'update': return op.expectedVersion;
    case 'reserve': case 'confirm': case 'release': case 'expire': return null;
    default: return assertNever(op);
  }
}

/**
 * The idempotency key of an operation, or null when it has none. An order's change is keyed by
 * (product, order, op_type) so an order can deduct once and be restocked once; a bare
 * idempotency_key is keyed by (product, key). An order reserves a product once. Ending a
 * reservation needs no key: a second attempt finds it no longer pending.
 */
export function idempotencyKeyOf(op: StockOp): string | null {
  switch (op.kind) {
    case 'delta':
      if (op.orderId !== null) return `o:${op.opType}:${op.orderId}`;
      if (op.idempotencyKey !== null) return `k:${op.idempotencyKey}`;
      return null;
    case 'reserve': return `o:reserve:${op.orderId}`;
    case 'confirm': case 'release': case 'expire': case 'update': return null;
    default: return assertNever(op);
  }
}

/** What a keyed op asks for, so a reused key with a different request is told apart from a retry. */
export interface KeyedRequest { opType: LogOpType; delta: number; reservedDelta: number }

/** Null for ops that carry no key. */
export function keyedRequestOf(op: StockOp): KeyedRequest | null {
  switch (op.kind) {
    case 'delta': return { opType: op.opType, delta: op.delta, reservedDelta: 0 };
    case 'reserve': return { opType: 'reserve', delta: 0, reservedDelta: op.quantity };
    case 'confirm': case 'release': case 'expire': case 'update': return null;
    default: return assertNever(op);
  }
}
