/**
 * The statements of an engine flush, as named prepared statements (parsed once per connection).
 * Every statement touches exactly one product, so a Citus cluster distributed by product_id
 * routes each to one shard.
 */
import type { QueryConfig } from 'pg';
import { bigintArrayLiteral, textArrayLiteral } from './array-literals.js';
import { assert } from '../../assert.js';
import type { PlannedEntry, ProductPlan } from '../../engine/stock-plan.js';
import type { InventoryStatus, ProductState } from '../../domain/inventory.js';
import type { ReservationState, ReservationStatus } from '../../domain/reservation.js';
import type { StoredResult } from '../../domain/change-result.js';

export interface ProductRow {
  product_id: number; stock: number; reserved: number; version: number;
  status: InventoryStatus; min_stock: number; max_stock: number;
}

export function productStateOf(row: ProductRow): ProductState {
  return {
    productId: row.product_id, stock: row.stock, reserved: row.reserved, version: row.version,
    status: row.status, minStock: row.min_stock, maxStock: row.max_stock,
  };
}

const productColumns = 'product_id, stock, reserved, version, status, min_stock, max_stock';

/**
 * Loads a product the actor does not know (or no longer trusts) and locks its row until the
 * flush commits, so the plan made from it cannot go stale before it is written.
 */
export function selectProductForUpdate(productId: number): QueryConfig {
  return {
    name: 'flush_select_product_for_update',
    text: `SELECT ${productColumns} FROM inventories WHERE product_id = $1 FOR UPDATE`,
    values: [productId],
  };
}

/** Stored first results of the given keys, read under the product's row lock. */
export function selectStoredResults(productId: number, keys: string[]): QueryConfig {
  return {
    name: 'flush_select_stored_results',
    text: `SELECT idem_key, op_type, product_id, delta, reserved_delta, before_stock, after_stock, stock, reserved,
                  available, version, log_id, reservation_id
             FROM inventory_idempotency WHERE product_id = $1 AND idem_key = ANY($2::text[])`,
    values: [productId, keys],
  };
}

export type StoredResultRow = StoredResult & { idem_key: string };

export interface ReservationRow { id: number; status: ReservationStatus; quantity: number; order_id: string; due: boolean }

/**
 * The reservations a flush ends, read after the product's row lock is held: every change of a
 * reservation commits together with a version bump of its product, so this read is current.
 */
export function selectReservations(productId: number, reservationIds: number[]): QueryConfig {
  return {
    name: 'flush_select_reservations',
    text: `SELECT id, status, quantity, order_id, expires_at <= now() AS due
             FROM inventory_reservations WHERE product_id = $1 AND id = ANY($2::bigint[])`,
    values: [productId, reservationIds],
  };
}

export function reservationStateOf(row: ReservationRow): ReservationState {
  return { id: row.id, status: row.status, quantity: row.quantity, orderId: row.order_id, due: row.due };
}

/** Reads the version only: proves refusals judged on the cached state were judged on the truth. */
export function selectVersion(productId: number): QueryConfig {
  return {
    name: 'flush_select_version',
    text: 'SELECT version FROM inventories WHERE product_id = $1',
    values: [productId],
  };
}

/**
 * Applies one product's plan in one statement: the versioned UPDATE of the net change (and of the
 * fields an operator update sets), one log row per applied operation, the idempotency records of
 * the keyed ones, and the reservations they create or end. When the version no longer matches,
 * the UPDATE touches no row, nothing else is written and no row is returned.
 * Log and reservation ids are drawn in ordinality order (PostgreSQL evaluates volatile output
 * expressions after ORDER BY), so they rise in arrival order; the arrays list them in that order.
 */
const applyPlanText = `
WITH upd AS (
  UPDATE inventories
     SET stock = stock + $2::bigint, reserved = reserved + $3::bigint,
         version = version + 1, updated_at = clock_timestamp(),
         product_name = COALESCE($19::text, product_name), status = COALESCE($20::text, status),
         min_stock = COALESCE($21::bigint, min_stock), max_stock = COALESCE($22::bigint, max_stock)
   WHERE product_id = $1::bigint AND version = $4::bigint
  RETURNING stock, reserved, available, version, status, min_stock, max_stock
), entry AS MATERIALIZED (
  SELECT e.ord, nextval('inventory_logs_id_seq') AS log_id, e.op_type, e.delta, e.reserved_delta,
         e.before_stock, e.after_stock, e.order_id, e.reason, e.operator, e.trace_id, e.idem_key,
         e.res_action, e.ttl_seconds,
         CASE WHEN e.res_action = 'create' THEN nextval('inventory_reservations_id_seq') ELSE e.res_id END AS reservation_id
    FROM unnest($6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[],
                $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
                $16::text[], $17::bigint[], $18::bigint[])
         WITH ORDINALITY AS e(op_type, delta, reserved_delta, before_stock, after_stock,
                              order_id, reason, operator, trace_id, idem_key,
                              res_action, res_id, ttl_seconds, ord)
   WHERE EXISTS (SELECT 1 FROM upd)
   ORDER BY e.ord
), logged AS (
  INSERT INTO inventory_logs (id, product_id, op_type, delta, reserved_delta, before_stock, after_stock,
                              order_id, reason, operator, trace_id, flush_id)
  SELECT log_id, $1, op_type, delta, reserved_delta, before_stock, after_stock,
         order_id, reason, operator, trace_id, $5::bigint
    FROM entry
), keyed AS (
  INSERT INTO inventory_idempotency (product_id, idem_key, op_type, delta, reserved_delta, log_id, before_stock,
                                     after_stock, stock, reserved, available, version, reservation_id)
  SELECT $1, e.idem_key, e.op_type, e.delta, e.reserved_delta, e.log_id, e.before_stock, e.after_stock,
         u.stock, u.reserved, u.available, u.version, e.reservation_id
    FROM entry e CROSS JOIN upd u
   WHERE e.idem_key IS NOT NULL
), created AS (
  INSERT INTO inventory_reservations (id, product_id, order_id, quantity, status, expires_at, reserve_log_id)
  SELECT reservation_id, $1, order_id, reserved_delta, 'pending', now() + ttl_seconds * interval '1 second', log_id
    FROM entry
   WHERE res_action = 'create'
), finished AS (
  UPDATE inventory_reservations r
     SET status = e.res_action, final_log_id = e.log_id, updated_at = now()
    FROM entry e
   WHERE e.res_action IN ('confirmed', 'released', 'expired')
     AND r.product_id = $1::bigint AND r.id = e.reservation_id AND r.status = 'pending'
  RETURNING r.id
)
SELECT u.stock, u.reserved, u.available, u.version, u.status, u.min_stock, u.max_stock,
       ARRAY(SELECT log_id FROM entry ORDER BY ord) AS log_ids,
       ARRAY(SELECT reservation_id FROM entry ORDER BY ord) AS reservation_ids,
       (SELECT count(*) FROM finished) AS finished_rows
  FROM upd u`;

export interface AppliedRow {
  stock: number; reserved: number; available: number; version: number;
  status: InventoryStatus; min_stock: number; max_stock: number;
  log_ids: number[];
  /** Per log row: the reservation it created or ended, else null. */
  reservation_ids: (number | null)[];
  /** Reservations this statement ended: must equal the plan's confirm/release/expire entries. */
  finished_rows: number;
}

export function applyPlan(plan: ProductPlan, flushId: number): QueryConfig {
  assert(plan.entries.length > 0, 'an apply statement needs at least one entry');
  const entries = plan.entries;
  const numbers = (pick: (entry: PlannedEntry) => number | null) => bigintArrayLiteral(entries.map(pick));
  const texts = (pick: (entry: PlannedEntry) => string | null) => textArrayLiteral(entries.map(pick));
  const changes = plan.changes;
  return {
    name: 'flush_apply_plan',
    text: applyPlanText,
    values: [
      plan.productId, plan.netStock, plan.netReserved, plan.baseVersion, flushId,
      texts((entry) => entry.opType), numbers((entry) => entry.delta), numbers((entry) => entry.reservedDelta),
      numbers((entry) => entry.beforeStock), numbers((entry) => entry.afterStock),
      texts((entry) => entry.orderId), texts((entry) => entry.reason), texts((entry) => entry.operator),
      texts((entry) => entry.traceId), texts((entry) => entry.idemKey),
      texts((entry) => entry.reservation?.action ?? null),
      numbers(({ reservation }) => (reservation !== null && reservation.action !== 'create' ? reservation.reservationId : null)),
      numbers(({ reservation }) => (reservation?.action === 'create' ? reservation.ttlSeconds : null)),
      changes?.productName ?? null, changes?.status ?? null, changes?.minStock ?? null, changes?.maxStock ?? null,
    ],
  };
}

/** Entries of a plan that end a reservation (each must move exactly one pending row). */
export function finishingEntries(plan: ProductPlan): number {
  return plan.entries.filter(({ reservation }) => reservation !== null && reservation.action !== 'create').length;
}

/** After a lost connection: the reservations a landed flush created, by the id of their log row. */
export function selectCreatedReservations(productId: number, logIds: number[]): QueryConfig {
  return {
    name: 'flush_select_created_reservations',
    text: 'SELECT reserve_log_id, id FROM inventory_reservations WHERE product_id = $1 AND reserve_log_id = ANY($2::bigint[])',
    values: [productId, logIds],
  };
}

/** Ids of the log rows a flush wrote for a product, in arrival order; empty when it did not land. */
export function selectFlushLogIds(productId: number, flushId: number): QueryConfig {
  return {
    name: 'flush_select_log_ids',
    text: 'SELECT id FROM inventory_logs WHERE product_id = $1 AND flush_id = $2 ORDER BY id',
    values: [productId, flushId],
  };
}

/** A product's newest log rows, newest first (the primary key's index, read backwards). */
export function selectNewestLogs(productId: number, rows: number): QueryConfig {
  return {
    name: 'flush_select_newest_logs',
    text: 'SELECT id, flush_id FROM inventory_logs WHERE product_id = $1 ORDER BY id DESC LIMIT $2',
    values: [productId, rows],
  };
}
