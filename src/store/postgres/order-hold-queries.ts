/**
 * The statements of order holds. Each order operation is one transaction of a constant number of
 * statements, whatever its number of lines (arrays via `unnest`). Lock order, the same for every
 * writer: the order's row first, then its products in product order — the order as the engine's
 * flush takes them (`selectProductsForUpdate`), so holds and flushes never deadlock.
 */
import type pg from 'pg';
import type { InventoryStatus } from '../../domain/inventory.js';
import type { OrderHold, OrderHoldStatus, OrderLine, OrderLineRequest } from '../../domain/order-hold.js';
import { bigintArrayLiteral } from './array-literals.js';

export interface OrderRow {
  order_id: string;
  status: OrderHoldStatus;
  fingerprint: string;
  line_count: number;
  expires_at: Date;
  /** `expires_at <= now()` when read. */
  due: boolean;
  created_at: Date;
  updated_at: Date;
}

const orderColumns = 'order_id, status, fingerprint, line_count, expires_at, expires_at <= now() AS due, created_at, updated_at';

/**
 * Claims the order id for this hold: the row is written first, so a concurrent request for the
 * same order waits here (on the key) before it locks any product, and after this transaction
 * commits it finds the row. Null when the order id is taken.
 */
export async function insertOrderHold(
  client: pg.ClientBase, orderId: string, fingerprint: string, lineCount: number, ttlSeconds: number, traceId: string | null,
): Promise<OrderRow | null> {
  const result = await client.query<OrderRow>({
    name: 'order_hold_insert',
    text: `INSERT INTO order_holds (order_id, fingerprint, line_count, expires_at, trace_id)
           VALUES ($1, $2, $3, now() + $4::int * interval '1 second', $5)
           ON CONFLICT (order_id) DO NOTHING
           RETURNING ${orderColumns}`,
    values: [orderId, fingerprint, lineCount, ttlSeconds, traceId],
  });
  return result.rows[0] ?? null;
}

/** The order's row, locked when `forUpdate` (every change of a hold takes this lock first). */
export async function selectOrderHold(client: pg.ClientBase, orderId: string, forUpdate: boolean): Promise<OrderRow | null> {
  const result = await client.query<OrderRow>({
    name: forUpdate ? 'order_hold_select_for_update' : 'order_hold_select',
    text: `SELECT ${orderColumns} FROM order_holds WHERE order_id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    values: [orderId],
  });
  return result.rows[0] ?? null;
}

interface LockedRow {
  product_id: number; stock: number; reserved: number; version: number; status: InventoryStatus; order_reserved: boolean;
}

/** The cart's products locked and read in product order, with whether this order reserved each already. */
export async function lockProducts(client: pg.ClientBase, orderId: string, productIds: readonly number[]): Promise<LockedRow[]> {
  const result = await client.query<LockedRow>({
    name: 'order_hold_lock_products',
    text: `SELECT i.product_id, i.stock, i.reserved, i.version, i.status,
                  EXISTS (SELECT 1 FROM inventory_reservations r
                           WHERE r.product_id = i.product_id AND r.order_id = $2) AS order_reserved
             FROM inventories i WHERE i.product_id = ANY($1::bigint[])
            ORDER BY i.product_id FOR UPDATE OF i`,
    values: [bigintArrayLiteral(productIds), orderId],
  });
  return result.rows;
}

/** The products of the order's lines locked in product order, with their status (a confirm's check). */
export async function lockLineProducts(client: pg.ClientBase, orderId: string): Promise<{ productId: number; status: InventoryStatus }[]> {
  const result = await client.query<{ product_id: number; status: InventoryStatus }>({
    name: 'order_hold_lock_line_products',
    text: `SELECT i.product_id, i.status FROM inventories i
            WHERE i.product_id IN (SELECT r.product_id FROM inventory_reservations r WHERE r.order_id = $1 AND r.order_hold)
            ORDER BY i.product_id FOR UPDATE`,
    values: [orderId],
  });
  return result.rows.map((row) => ({ productId: row.product_id, status: row.status }));
}

/** What a change left on one product, for the answer and the Redis write after commit. */
export interface ProductAfter {
  productId: number;
  stock: number;
  reserved: number;
  available: number;
  version: number;
  minStock: number;
  reservationId: number;
  quantity: number;
}

interface ProductAfterRow {
  product_id: number; stock: number; reserved: number; available: number; version: number; min_stock: number;
  reservation_id: number; quantity: number;
}

function productsAfterOf(rows: readonly ProductAfterRow[]): ProductAfter[] {
  return rows.map((row) => ({
    productId: row.product_id, stock: row.stock, reserved: row.reserved, available: row.available,
    version: row.version, minStock: row.min_stock, reservationId: row.reservation_id, quantity: row.quantity,
  }));
}

export interface Audit { reason: string | null; operator: string | null; traceId: string | null }

/**
 * Holds every line (products already locked by `lockProducts`): reserved raised, version bumped,
 * a `reserve` log row and a pending reservation per line. Each UPDATE is guarded by the version
 * read under the lock, which cannot have moved: fewer rows than lines is a bug, and the caller
 * rolls back.
 */
export async function writeHold(
  client: pg.ClientBase, orderId: string, lines: readonly (OrderLineRequest & { baseVersion: number })[],
  expiresAt: Date, audit: Audit,
): Promise<ProductAfter[]> {
  const result = await client.query<ProductAfterRow>({
    name: 'order_hold_write',
    text: `
WITH line AS MATERIALIZED (
  SELECT l.product_id, l.quantity, l.base_version,
         nextval('inventory_logs_id_seq') AS log_id, nextval('inventory_reservations_id_seq') AS reservation_id
    FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS l(product_id, quantity, base_version)
   ORDER BY l.product_id
), upd AS (
  UPDATE inventories i
     SET reserved = i.reserved + l.quantity, version = i.version + 1, updated_at = clock_timestamp()
    FROM line l
   WHERE i.product_id = l.product_id AND i.version = l.base_version
  RETURNING i.product_id, i.stock, i.reserved, i.available, i.version, i.min_stock
), logged AS (
  INSERT INTO inventory_logs (id, product_id, op_type, delta, reserved_delta, before_stock, after_stock,
                              order_id, reason, operator, trace_id)
  SELECT l.log_id, l.product_id, 'reserve', 0, l.quantity, u.stock, u.stock, $1, $6, $7, $8
    FROM line l JOIN upd u ON u.product_id = l.product_id
), created AS (
  INSERT INTO inventory_reservations (id, product_id, order_id, quantity, status, expires_at, reserve_log_id, order_hold)
  SELECT l.reservation_id, l.product_id, $1, l.quantity, 'pending', $5, l.log_id, true
    FROM line l JOIN upd u ON u.product_id = l.product_id
)
SELECT u.product_id, u.stock, u.reserved, u.available, u.version, u.min_stock, l.reservation_id, l.quantity
  FROM upd u JOIN line l ON l.product_id = u.product_id
 ORDER BY u.product_id`,
    values: [
      orderId, bigintArrayLiteral(lines.map((line) => line.productId)), bigintArrayLiteral(lines.map((line) => line.quantity)),
      bigintArrayLiteral(lines.map((line) => line.baseVersion)), expiresAt, audit.reason, audit.operator, audit.traceId,
    ],
  });
  return productsAfterOf(result.rows);
}

export interface FinishWritten {
  products: ProductAfter[];
  /** Reservations ended and order rows moved: must equal the lines and 1. */
  finishedRows: number;
  orderRows: number;
  committedAt: Date;
}

/**
 * Ends every pending line of a held order in one statement (the order's row is locked by the
 * caller, and only order operations change its lines, so the lines read here are current):
 * its products locked in product order, then per line the version bump, the log row (`confirm`
 * deducts stock; `release`, also written for expiry, only frees it) and the reservation's end,
 * and the order's new status.
 */
export async function writeFinish(
  client: pg.ClientBase, orderId: string, finalStatus: Exclude<OrderHoldStatus, 'held'>, audit: Audit,
): Promise<FinishWritten> {
  const result = await client.query<ProductAfterRow & { finished_rows: number; order_rows: number; committed_at: Date }>({
    name: 'order_hold_finish',
    text: `
WITH line AS MATERIALIZED (
  SELECT r.id, r.product_id, r.quantity FROM inventory_reservations r
   WHERE r.order_id = $1 AND r.order_hold AND r.status = 'pending'
), locked AS MATERIALIZED (
  SELECT i.product_id FROM inventories i
   WHERE i.product_id IN (SELECT product_id FROM line)
   ORDER BY i.product_id FOR UPDATE
), entry AS MATERIALIZED (
  SELECT l.id, l.product_id, l.quantity, CASE WHEN $2 = 'confirmed' THEN -l.quantity ELSE 0 END AS delta,
         nextval('inventory_logs_id_seq') AS log_id
    FROM line l WHERE l.product_id IN (SELECT product_id FROM locked)
   ORDER BY l.product_id
), upd AS (
  UPDATE inventories i
     SET stock = i.stock + e.delta, reserved = i.reserved - e.quantity, version = i.version + 1,
         updated_at = clock_timestamp()
    FROM entry e WHERE i.product_id = e.product_id
  RETURNING i.product_id, i.stock, i.reserved, i.available, i.version, i.min_stock
), logged AS (
  INSERT INTO inventory_logs (id, product_id, op_type, delta, reserved_delta, before_stock, after_stock,
                              order_id, reason, operator, trace_id)
  SELECT e.log_id, e.product_id, CASE WHEN $2 = 'confirmed' THEN 'confirm' ELSE 'release' END, e.delta, -e.quantity,
         u.stock - e.delta, u.stock, $1, $3, $4, $5
    FROM entry e JOIN upd u ON u.product_id = e.product_id
), finished AS (
  UPDATE inventory_reservations r
     SET status = $2, final_log_id = e.log_id, updated_at = now()
    FROM entry e WHERE r.product_id = e.product_id AND r.id = e.id AND r.status = 'pending'
  RETURNING r.id
), ordered AS (
  UPDATE order_holds SET status = $2, updated_at = now() WHERE order_id = $1 AND status = 'held'
  RETURNING order_id
)
SELECT u.product_id, u.stock, u.reserved, u.available, u.version, u.min_stock, e.id AS reservation_id, e.quantity,
       (SELECT count(*)::int FROM finished) AS finished_rows, (SELECT count(*)::int FROM ordered) AS order_rows,
       now() AS committed_at
  FROM upd u JOIN entry e ON e.product_id = u.product_id
 ORDER BY u.product_id`,
    values: [orderId, finalStatus, audit.reason, audit.operator, audit.traceId],
  });
  const first = result.rows[0];
  return {
    products: productsAfterOf(result.rows),
    finishedRows: first?.finished_rows ?? 0,
    orderRows: first?.order_rows ?? 0,
    committedAt: first?.committed_at ?? new Date(),
  };
}

/**
 * The hold as it is now with its lines, or null: one statement, so the order's status and its
 * lines come from one snapshot.
 */
export async function selectOrderHoldView(client: pg.ClientBase, orderId: string): Promise<OrderHold | null> {
  const result = await client.query<OrderRow & { lines: { product_id: number; quantity: number; reservation_id: number; status: OrderLine['status'] }[] }>({
    name: 'order_hold_view',
    text: `SELECT ${orderColumns},
                  COALESCE((SELECT json_agg(json_build_object('product_id', r.product_id, 'quantity', r.quantity,
                                                              'reservation_id', r.id, 'status', r.status) ORDER BY r.product_id)
                              FROM inventory_reservations r WHERE r.order_id = o.order_id AND r.order_hold), '[]') AS lines
             FROM order_holds o WHERE o.order_id = $1`,
    values: [orderId],
  });
  const row = result.rows[0];
  if (row === undefined) return null;
  return orderHoldOf(row, row.lines.map((line) => ({
    productId: line.product_id, quantity: line.quantity, reservationId: line.reservation_id, status: line.status,
  })));
}

export function orderHoldOf(row: OrderRow, lines: OrderLine[]): OrderHold {
  return { orderId: row.order_id, status: row.status, expiresAt: row.expires_at, createdAt: row.created_at, updatedAt: row.updated_at, lines };
}

/** What Redis should hold for a product: its available stock at a version. */
export interface ProductAvailable { productId: number; available: number; version: number }

/**
 * The current available stock of the order's products: after a COMMIT whose answer was lost,
 * what the Redis write needs (the script keeps whichever of it and a newer write has the higher version).
 */
export async function selectLineProductsAvailable(client: pg.ClientBase, orderId: string): Promise<ProductAvailable[]> {
  const result = await client.query<{ product_id: number; available: number; version: number }>({
    name: 'order_hold_line_products',
    text: `SELECT i.product_id, i.available, i.version FROM inventories i
            WHERE i.product_id IN (SELECT r.product_id FROM inventory_reservations r WHERE r.order_id = $1 AND r.order_hold)`,
    values: [orderId],
  });
  return result.rows.map((row) => ({ productId: row.product_id, available: row.available, version: row.version }));
}

export interface DueOrder { order_id: string }

/** Held orders past their expiry, oldest first: the sweeper's next batch. */
export async function selectDueOrders(pool: pg.Pool, limitRows: number): Promise<string[]> {
  const result = await pool.query<DueOrder>({
    name: 'order_hold_select_due',
    text: `SELECT order_id FROM order_holds WHERE status = 'held' AND expires_at <= now() ORDER BY expires_at LIMIT $1::int`,
    values: [limitRows],
  });
  return result.rows.map((row) => row.order_id);
}
