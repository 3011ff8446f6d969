/**
 * The load round of an engine flush: when a flush needs rows it does not keep, its products are
 * locked and read, with the stored first results of its keys and the reservations its ops end,
 * in one round trip (`src/engine/flush/flush-load.ts`). Each statement takes its rows as arrays.
 */
import type { QueryConfig } from 'pg';
import type { StoredResult } from '../../domain/change-result.js';
import type { InventoryStatus, ProductState } from '../../domain/inventory.js';
import type { ReservationState, ReservationStatus } from '../../domain/reservation.js';
import type { LogOpType } from '../../domain/stock-ops.js';
import { bigintArrayLiteral, textArrayLiteral } from './array-literals.js';

interface ProductRow {
  product_id: number; stock: number; reserved: number; version: number;
  status: InventoryStatus; min_stock: number; max_stock: number;
}

/**
 * Locks and reads the flush's products, in product order: every writer (flushes of other
 * instances, order holds) takes its row locks in that one order, so none of them deadlock.
 */
export function selectProductsForUpdate(productIds: readonly number[]): QueryConfig {
  return {
    name: 'flush_select_products_for_update',
    text: `SELECT product_id, stock, reserved, version, status, min_stock, max_stock
             FROM inventories WHERE product_id = ANY($1::bigint[]) ORDER BY product_id FOR UPDATE`,
    values: [bigintArrayLiteral(productIds)],
  };
}

export function productStatesOf(rows: readonly ProductRow[]): ProductState[] {
  return rows.map((row) => ({
    productId: row.product_id, stock: row.stock, reserved: row.reserved, version: row.version,
    status: row.status, minStock: row.min_stock, maxStock: row.max_stock,
  }));
}

/** A keyed op's key, with whether the flush applies it (a stored applied key holds its product back). */
export interface KeyLookup { productId: number; idemKey: string; applies: boolean }

export const storedColumns = `i.product_id, i.idem_key, i.op_type, i.delta, i.reserved_delta, i.before_stock, i.after_stock,
       i.stock, i.reserved, i.available, i.version, i.log_id, i.reservation_id, i.reservation_expires_at, i.created_at`;

/**
 * One key's stored result, looked up by its primary key for each key of the flush. Written as a
 * LATERAL subquery with LIMIT 1 (the key is unique) so PostgreSQL cannot flatten it into a hash
 * join: a prepared statement's generic plan, built while the table looked small (stale
 * statistics right after a start), otherwise keeps scanning the whole table on every flush —
 * measured: 11 of 12.7 ms of a 40-product flush over 72,000 stored keys.
 */
export const storedByKey = `SELECT * FROM inventory_idempotency s
                      WHERE s.product_id = k.product_id AND s.idem_key = k.idem_key LIMIT 1`;

export interface StoredRow {
  product_id: number; idem_key: string; op_type: LogOpType; delta: number; reserved_delta: number;
  before_stock: number; after_stock: number; stock: number; reserved: number; available: number; version: number;
  log_id: number; reservation_id: number | null; reservation_expires_at: Date | string | null; created_at: Date | string;
}

/** Stored first results of the given keys (read under the products' row locks in the load round). */
export function selectStoredResults(keys: readonly KeyLookup[]): QueryConfig {
  return {
    name: 'flush_select_stored_results',
    text: `SELECT ${storedColumns}
             FROM unnest($1::bigint[], $2::text[]) AS k(product_id, idem_key)
             CROSS JOIN LATERAL (${storedByKey}) i`,
    values: [bigintArrayLiteral(keys.map((key) => key.productId)), textArrayLiteral(keys.map((key) => key.idemKey))],
  };
}

/** Stored results by product, then by key. */
export type StoredByProduct = Map<number, Map<string, StoredResult>>;

export function storedResultsOf(rows: readonly StoredRow[], into: StoredByProduct = new Map()): StoredByProduct {
  for (const row of rows) {
    let byKey = into.get(row.product_id);
    if (byKey === undefined) into.set(row.product_id, (byKey = new Map()));
    byKey.set(row.idem_key, {
      opType: row.op_type, delta: row.delta, reservedDelta: row.reserved_delta,
      beforeStock: row.before_stock, afterStock: row.after_stock,
      stock: row.stock, reserved: row.reserved, available: row.available, version: row.version,
      logId: row.log_id, reservationId: row.reservation_id,
      reservationExpiresAt: row.reservation_expires_at === null ? null : new Date(row.reservation_expires_at),
      storedAt: new Date(row.created_at),
    });
  }
  return into;
}

export interface ReservationLookup { productId: number; reservationId: number }

interface ReservationRow {
  id: number; product_id: number; status: ReservationStatus; quantity: number; order_id: string;
  due: boolean; expires_at: Date; created_at: Date;
}

/**
 * The reservations a flush ends, read after the products' row locks are held: every change of a
 * reservation commits together with a version bump of its product, so this read is current.
 */
export function selectReservations(lookups: readonly ReservationLookup[]): QueryConfig {
  return {
    name: 'flush_select_reservations',
    text: `SELECT r.id, r.product_id, r.status, r.quantity, r.order_id, r.expires_at <= now() AS due, r.expires_at, r.created_at
             FROM unnest($1::bigint[], $2::bigint[]) AS k(product_id, id)
             CROSS JOIN LATERAL (SELECT * FROM inventory_reservations s
                                  WHERE s.product_id = k.product_id AND s.id = k.id LIMIT 1) r`,
    values: [bigintArrayLiteral(lookups.map((l) => l.productId)), bigintArrayLiteral(lookups.map((l) => l.reservationId))],
  };
}

export function reservationStatesOf(rows: readonly ReservationRow[]): Map<number, Map<number, ReservationState>> {
  const byProduct = new Map<number, Map<number, ReservationState>>();
  for (const row of rows) {
    let byId = byProduct.get(row.product_id);
    if (byId === undefined) byProduct.set(row.product_id, (byId = new Map()));
    byId.set(row.id, {
      id: row.id, status: row.status, quantity: row.quantity, orderId: row.order_id, due: row.due,
      expiresAt: row.expires_at, createdAt: row.created_at,
    });
  }
  return byProduct;
}
