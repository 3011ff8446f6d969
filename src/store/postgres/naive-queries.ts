/**
 * The statements of the naive engine (the benchmark baseline): the conditional UPDATE a user
 * writes first, its log row and its idempotency record, each its own round trip in one
 * transaction per request. Named prepared statements, so the baseline pays no parse cost the
 * batched engine does not pay either.
 */
import type { QueryConfig } from 'pg';
import type { DeltaOp } from '../../domain/stock-ops.js';

export interface NaiveUpdatedRow { stock: number; reserved: number; available: number; version: number }

/**
 * Applies the delta only if every rule of the contract holds on the row as it is when the row
 * lock is taken: active, available stays ≥ 0, max_stock (when set) not exceeded, the expected
 * version (when given) current. No row back: refused, or no such product; the caller asks which.
 */
export function updateStockIfAllowed(op: DeltaOp): QueryConfig {
  return {
    name: 'naive_update_stock',
    text: `
      UPDATE inventories
         SET stock = stock + $2::bigint, version = version + 1, updated_at = now()
       WHERE product_id = $1::bigint AND status = 'active'
         AND stock + $2::bigint >= reserved
         AND ($2::bigint < 0 OR max_stock = 0 OR stock + $2::bigint <= max_stock)
         AND ($3::bigint IS NULL OR version = $3::bigint)
      RETURNING stock, reserved, available, version`,
    values: [op.productId, op.delta, op.expectedVersion],
  };
}

export function insertLogRow(op: DeltaOp, beforeStock: number): QueryConfig {
  return {
    name: 'naive_insert_log',
    text: `
      INSERT INTO inventory_logs (product_id, op_type, delta, before_stock, after_stock, order_id, reason, operator, trace_id)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
      RETURNING id`,
    values: [op.productId, op.opType, op.delta, beforeStock, beforeStock + op.delta, op.orderId, op.reason,
      op.operator, op.traceId],
  };
}

/** The first result of a keyed delta; a second writer of the same key fails on the primary key. */
export function insertIdempotencyRow(op: DeltaOp, key: string, logId: number, beforeStock: number, row: NaiveUpdatedRow): QueryConfig {
  return {
    name: 'naive_insert_idempotency',
    text: `
      INSERT INTO inventory_idempotency (product_id, idem_key, op_type, delta, log_id, before_stock, after_stock,
                                         stock, reserved, available, version)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    values: [op.productId, key, op.opType, op.delta, logId, beforeStock, beforeStock + op.delta,
      row.stock, row.reserved, row.available, row.version],
  };
}
