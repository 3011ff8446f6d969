/**
 * The write of an engine flush: one set-based statement applies every product of the flush,
 * whatever their number, taking its rows as arrays (`unnest`). The SQL and the row shapes live
 * here; the engine decides what to write (`src/engine/flush/`). The load round's reads are in
 * `flush-load-queries.ts`.
 */
import type { QueryConfig } from 'pg';
import { assert } from '../../assert.js';
import * as limits from '../../limits.js';
import type { InventoryRecord, InventoryStatus } from '../../domain/inventory.js';
import type { LogEntry } from '../../domain/log-entry.js';
import { noStockEvents, type StockEventSettings } from '../../domain/events.js';
import { bigintArrayLiteral, textArrayLiteral } from './array-literals.js';
import {
  storedByKey, storedColumns, storedResultsOf, type KeyLookup, type StoredByProduct, type StoredRow,
} from './flush-load-queries.js';
import { outboxInsertSql } from './outbox-queries.js';

/** One product's versioned change: the net of its applied entries, and the fields an update sets. */
export interface ProductWrite {
  productId: number;
  /** The version the plan was computed from: the UPDATE applies only while the row is still at it. */
  baseVersion: number;
  netStock: number;
  netReserved: number;
  productName: string | null;
  status: InventoryStatus | null;
  minStock: number | null;
  maxStock: number | null;
}

export interface FlushWrite {
  /** Random token written on every log row of the flush: after a lost connection, its trace. */
  flushId: number;
  /** In product order. */
  products: readonly ProductWrite[];
  /** Grouped by product (in `products` order), each product's in arrival order. */
  entries: readonly LogEntry[];
  /** Every keyed op of the flush; stored ones come back, and hold back their product when it applies them. */
  keys: readonly KeyLookup[];
  /** Products whose refusals were judged on a cached state: their current version comes back. */
  versionChecks: readonly number[];
}

/**
 * Applies a whole flush in one statement (its own transaction when sent alone):
 * - `known`: the stored first results of the flush's keys. A product with an applied entry whose
 *   key is already stored is held back (`blocked`): nothing of it is written, and the engine
 *   re-plans it with the stored result, which then replays — no failed insert, no rollback.
 * - `locked`: the other products' rows, locked in product order (one global lock order).
 * - `upd`: each product's versioned UPDATE; a product whose version moved updates nothing, and
 *   with it nothing else of that product is written.
 * - `entry` → `logged`, `keyed`, `created`, `finished`: log rows, idempotency records and the
 *   reservations created or ended, for the updated products only. Log and reservation ids are
 *   drawn in arrival order (PostgreSQL evaluates volatile output expressions after ORDER BY).
 * - `stock_events`: the webhook outbox rows of products whose available crossed a line, from the
 *   product's available before the flush (after − its net) to after it: to 0 (`stock.out`), up
 *   from 0 (`stock.back_in_stock`), or down to the low-stock threshold (`stock.low`: min_stock,
 *   or `inventory.low_stock_threshold` when min_stock is 0, as the alert rules read it). One set
 *   of rows per flush, not per op: a product that sells out and is restocked within one flush
 *   crossed nothing. `$28` is false without stock.* webhooks, and then it costs nothing.
 * The answer has one row per updated product (`applied`), per stored key (`stored`) and per
 * version check (`version`).
 */
const applyFlushText = `
WITH known AS MATERIALIZED (
  SELECT ${storedColumns}, k.applies
    FROM unnest($24::bigint[], $25::text[], $26::boolean[]) AS k(product_id, idem_key, applies)
    CROSS JOIN LATERAL (${storedByKey}) i
), plan AS MATERIALIZED (
  SELECT p.*
    FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::bigint[], $9::bigint[])
         AS p(product_id, base_version, net_stock, net_reserved, product_name, status, min_stock, max_stock)
   WHERE NOT EXISTS (SELECT 1 FROM known WHERE known.product_id = p.product_id AND known.applies)
), locked AS MATERIALIZED (
  SELECT i.product_id FROM inventories i
   WHERE i.product_id IN (SELECT product_id FROM plan)
   ORDER BY i.product_id FOR UPDATE
), upd AS (
  UPDATE inventories i
     SET stock = i.stock + p.net_stock, reserved = i.reserved + p.net_reserved,
         version = i.version + 1, updated_at = clock_timestamp(),
         product_name = COALESCE(p.product_name, i.product_name), status = COALESCE(p.status, i.status),
         min_stock = COALESCE(p.min_stock, i.min_stock), max_stock = COALESCE(p.max_stock, i.max_stock)
    FROM plan p
   WHERE i.product_id = p.product_id AND i.version = p.base_version
     AND i.product_id IN (SELECT product_id FROM locked)
  RETURNING i.product_id, i.product_name, i.stock, i.reserved, i.available, i.version, i.status,
            i.min_stock, i.max_stock, i.created_at, i.updated_at
), stock_events AS (
  ${outboxInsertSql(`
  SELECT c.product_id, e.event_type, NULL::bigint AS alert_id,
         jsonb_build_object('product_id', c.product_id, 'available_before', c.before, 'available', c.available,
                            'stock', c.stock, 'reserved', c.reserved, 'version', c.version, 'low_stock_threshold', c.low) AS data
    FROM (SELECT u.product_id, u.available, u.stock, u.reserved, u.version, u.available - (p.net_stock - p.net_reserved) AS before,
                 CASE WHEN u.min_stock > 0 THEN u.min_stock ELSE $31::bigint END AS low
            FROM upd u JOIN plan p ON p.product_id = u.product_id
           WHERE $28::boolean) c
   CROSS JOIN LATERAL (SELECT CASE
           WHEN c.available = 0 AND c.before > 0 THEN 'stock.out'
           WHEN c.available > 0 AND c.before = 0 THEN 'stock.back_in_stock'
           WHEN c.available > 0 AND c.available <= c.low AND c.before > c.low THEN 'stock.low'
         END AS event_type) e
   WHERE e.event_type IS NOT NULL`, 29)}
), entry AS MATERIALIZED (
  SELECT e.ord, e.product_id, nextval('inventory_logs_id_seq') AS log_id, e.op_type, e.delta, e.reserved_delta,
         e.before_stock, e.after_stock, e.order_id, e.reason, e.operator, e.trace_id, e.idem_key, e.res_action,
         CASE WHEN e.res_action = 'create' THEN nextval('inventory_reservations_id_seq') ELSE e.res_id END AS reservation_id,
         CASE WHEN e.res_action = 'create' THEN now() + e.ttl_seconds * interval '1 second' END AS expires_at
    FROM unnest($10::bigint[], $11::text[], $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[],
                $16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::bigint[], $23::bigint[])
         WITH ORDINALITY AS e(product_id, op_type, delta, reserved_delta, before_stock, after_stock,
                              order_id, reason, operator, trace_id, idem_key, res_action, res_id, ttl_seconds, ord)
   WHERE e.product_id IN (SELECT product_id FROM upd)
   ORDER BY e.ord
), logged AS (
  INSERT INTO inventory_logs (id, product_id, op_type, delta, reserved_delta, before_stock, after_stock,
                              order_id, reason, operator, trace_id, flush_id)
  SELECT log_id, product_id, op_type, delta, reserved_delta, before_stock, after_stock,
         order_id, reason, operator, trace_id, $1::bigint
    FROM entry
), keyed AS (
  INSERT INTO inventory_idempotency (product_id, idem_key, op_type, delta, reserved_delta, log_id, before_stock,
                                     after_stock, stock, reserved, available, version, reservation_id,
                                     reservation_expires_at)
  SELECT e.product_id, e.idem_key, e.op_type, e.delta, e.reserved_delta, e.log_id, e.before_stock, e.after_stock,
         u.stock, u.reserved, u.available, u.version, e.reservation_id, e.expires_at
    FROM entry e JOIN upd u ON u.product_id = e.product_id
   WHERE e.idem_key IS NOT NULL
), created AS (
  INSERT INTO inventory_reservations (id, product_id, order_id, quantity, status, expires_at, reserve_log_id)
  SELECT reservation_id, product_id, order_id, reserved_delta, 'pending', expires_at, log_id
    FROM entry
   WHERE res_action = 'create'
), finished AS (
  UPDATE inventory_reservations r
     SET status = e.res_action, final_log_id = e.log_id, updated_at = now()
    FROM entry e
   WHERE e.res_action IN ('confirmed', 'released', 'expired')
     AND r.product_id = e.product_id AND r.id = e.reservation_id
     -- "still pending", said through the check constraint (pending <=> no final log row) so the
     -- partial index on pending reservations' expiry cannot be chosen over the primary key
     AND r.final_log_id IS NULL
  RETURNING r.product_id
), per_product AS (
  SELECT product_id, array_agg(log_id ORDER BY ord) AS log_ids, array_agg(reservation_id ORDER BY ord) AS reservation_ids
    FROM entry GROUP BY product_id
)
SELECT 'applied' AS kind, u.product_id, u.version, u.stock, u.reserved, u.available, u.product_name, u.status,
       u.min_stock, u.max_stock, u.created_at, u.updated_at, now() AS committed_at, g.log_ids, g.reservation_ids,
       (SELECT count(*)::int FROM finished f WHERE f.product_id = u.product_id) AS finished_rows, NULL::json AS stored
  FROM upd u JOIN per_product g ON g.product_id = u.product_id
UNION ALL
SELECT 'stored', k.product_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       row_to_json(k)
  FROM known k
UNION ALL
SELECT 'version', i.product_id, i.version, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM inventories i WHERE i.product_id = ANY($27::bigint[])`;

export function applyFlush(write: FlushWrite, stockEvents: StockEventSettings = noStockEvents): QueryConfig {
  const { products, entries, keys } = write;
  assert(products.length > 0 || write.versionChecks.length > 0 || keys.length > 0, 'an empty flush statement');
  const productNumbers = (pick: (product: ProductWrite) => number | null) => bigintArrayLiteral(products.map(pick));
  const productTexts = (pick: (product: ProductWrite) => string | null) => textArrayLiteral(products.map(pick));
  const numbers = (pick: (entry: LogEntry) => number | null) => bigintArrayLiteral(entries.map(pick));
  const texts = (pick: (entry: LogEntry) => string | null) => textArrayLiteral(entries.map(pick));
  return {
    // Unnamed: planned afresh for its sizes (limits.flushGenericPlanProductsMax says why).
    name: products.length > limits.flushGenericPlanProductsMax ? undefined : 'flush_apply',
    text: applyFlushText,
    values: [
      write.flushId,
      productNumbers((p) => p.productId), productNumbers((p) => p.baseVersion), productNumbers((p) => p.netStock),
      productNumbers((p) => p.netReserved), productTexts((p) => p.productName), productTexts((p) => p.status),
      productNumbers((p) => p.minStock), productNumbers((p) => p.maxStock),
      numbers((e) => e.productId), texts((e) => e.opType), numbers((e) => e.delta), numbers((e) => e.reservedDelta),
      numbers((e) => e.beforeStock), numbers((e) => e.afterStock),
      texts((e) => e.orderId), texts((e) => e.reason), texts((e) => e.operator), texts((e) => e.traceId),
      texts((e) => e.idemKey), texts((e) => e.reservation?.action ?? null),
      numbers(({ reservation }) => (reservation !== null && reservation.action !== 'create' ? reservation.reservationId : null)),
      numbers(({ reservation }) => (reservation?.action === 'create' ? reservation.ttlSeconds : null)),
      bigintArrayLiteral(keys.map((key) => key.productId)), textArrayLiteral(keys.map((key) => key.idemKey)),
      `{${keys.map((key) => (key.applies ? 't' : 'f')).join(',')}}`,
      bigintArrayLiteral(write.versionChecks),
      stockEvents.routes.eventTypes.length > 0,
      textArrayLiteral(stockEvents.routes.eventTypes), textArrayLiteral(stockEvents.routes.urls),
      stockEvents.lowStockThreshold,
    ],
  };
}

/** What one product's UPDATE committed. */
export interface AppliedProduct {
  record: InventoryRecord;
  /** The log rows written, in arrival order. */
  logIds: number[];
  /** Per log row: the reservation it created or ended, else null. */
  reservationIds: (number | null)[];
  /** Reservations the statement ended; must equal the confirm/release/expire entries. */
  finishedRows: number;
  /** The transaction's time: `now()`, the created_at of its log rows and reservations. */
  committedAt: Date;
}

export interface FlushOutcomeRows {
  applied: Map<number, AppliedProduct>;
  /** Stored first results of the flush's keys, found before it wrote. */
  stored: StoredByProduct;
  /** Current versions of the products named in `versionChecks`. */
  versions: Map<number, number>;
}

interface ApplyRow {
  kind: 'applied' | 'stored' | 'version';
  product_id: number; version: number; stock: number; reserved: number; available: number;
  product_name: string; status: InventoryStatus; min_stock: number; max_stock: number;
  created_at: Date; updated_at: Date; committed_at: Date;
  log_ids: number[]; reservation_ids: (number | null)[]; finished_rows: number;
  stored: StoredRow | null;
}

export function flushOutcomeRowsOf(rows: readonly ApplyRow[]): FlushOutcomeRows {
  const outcome: FlushOutcomeRows = { applied: new Map(), stored: new Map(), versions: new Map() };
  const storedRows: StoredRow[] = [];
  for (const row of rows) {
    switch (row.kind) {
      case 'applied':
        outcome.applied.set(row.product_id, {
          record: {
            productId: row.product_id, productName: row.product_name, stock: row.stock, reserved: row.reserved,
            available: row.available, version: row.version, status: row.status, minStock: row.min_stock,
            maxStock: row.max_stock, createdAt: row.created_at, updatedAt: row.updated_at,
          },
          logIds: row.log_ids, reservationIds: row.reservation_ids, finishedRows: row.finished_rows,
          committedAt: row.committed_at,
        });
        break;
      case 'stored':
        storedRows.push(row.stored!);
        break;
      case 'version':
        outcome.versions.set(row.product_id, row.version);
        break;
    }
  }
  storedResultsOf(storedRows, outcome.stored);
  return outcome;
}
