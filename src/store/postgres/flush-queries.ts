/**
 * The statements of an engine flush, as named prepared statements (parsed once per connection).
 * Every statement touches exactly one product, so a Citus cluster distributed by product_id
 * routes each to one shard.
 */
import type { QueryConfig } from 'pg';
import { assert } from '../../assert.js';
import type { ProductPlan } from '../../engine/stock-plan.js';
import type { InventoryStatus, ProductState, StoredResult } from '../../engine/stock-types.js';

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
    text: `SELECT idem_key, op_type, product_id, delta, before_stock, after_stock, stock, reserved, available,
                  version, log_id
             FROM inventory_idempotency WHERE product_id = $1 AND idem_key = ANY($2::text[])`,
    values: [productId, keys],
  };
}

export type StoredResultRow = StoredResult & { idem_key: string };

/** Reads the version only: proves refusals judged on the cached state were judged on the truth. */
export function selectVersion(productId: number): QueryConfig {
  return {
    name: 'flush_select_version',
    text: 'SELECT version FROM inventories WHERE product_id = $1',
    values: [productId],
  };
}

/**
 * Applies one product's plan in one statement: the versioned UPDATE of the net change, one log
 * row per applied operation and the idempotency records of the keyed ones. When the version no
 * longer matches, the UPDATE touches no row, nothing else is written and no row is returned.
 * Log ids are drawn in ordinality order (PostgreSQL evaluates volatile output expressions after
 * ORDER BY), so they rise in arrival order; `log_ids` lists them in that order.
 */
const applyPlanText = `
WITH upd AS (
  UPDATE inventories
     SET stock = stock + $2::bigint, reserved = reserved + $3::bigint,
         version = version + 1, updated_at = now()
   WHERE product_id = $1::bigint AND version = $4::bigint
  RETURNING stock, reserved, available, version
), entry AS MATERIALIZED (
  SELECT e.ord, nextval('inventory_logs_id_seq') AS log_id, e.op_type, e.delta, e.reserved_delta,
         e.before_stock, e.after_stock, e.order_id, e.reason, e.operator, e.trace_id, e.idem_key
    FROM unnest($6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[],
                $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])
         WITH ORDINALITY AS e(op_type, delta, reserved_delta, before_stock, after_stock,
                              order_id, reason, operator, trace_id, idem_key, ord)
   WHERE EXISTS (SELECT 1 FROM upd)
   ORDER BY e.ord
), logged AS (
  INSERT INTO inventory_logs (id, product_id, op_type, delta, reserved_delta, before_stock, after_stock,
                              order_id, reason, operator, trace_id, flush_id)
  SELECT log_id, $1, op_type, delta, reserved_delta, before_stock, after_stock,
         order_id, reason, operator, trace_id, $5::bigint
    FROM entry
), keyed AS (
  INSERT INTO inventory_idempotency (product_id, idem_key, op_type, delta, log_id, before_stock, after_stock,
                                     stock, reserved, available, version)
  SELECT $1, e.idem_key, e.op_type, e.delta, e.log_id, e.before_stock, e.after_stock,
         u.stock, u.reserved, u.available, u.version
    FROM entry e CROSS JOIN upd u
   WHERE e.idem_key IS NOT NULL
)
SELECT u.stock, u.reserved, u.available, u.version,
       ARRAY(SELECT log_id FROM entry ORDER BY ord) AS log_ids
  FROM upd u`;

export interface AppliedRow { stock: number; reserved: number; available: number; version: number; log_ids: number[] }

export function applyPlan(plan: ProductPlan, flushId: number): QueryConfig {
  assert(plan.entries.length > 0, 'an apply statement needs at least one entry');
  const column = <K extends keyof ProductPlan['entries'][number]>(key: K) => plan.entries.map((entry) => entry[key]);
  return {
    name: 'flush_apply_plan',
    text: applyPlanText,
    values: [
      plan.productId, plan.netStock, plan.netReserved, plan.baseVersion, flushId,
      column('opType'), column('delta'), column('reservedDelta'), column('beforeStock'), column('afterStock'),
      column('orderId'), column('reason'), column('operator'), column('traceId'), column('idemKey'),
    ],
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

export function selectProductState(productId: number): QueryConfig {
  return {
    name: 'flush_select_product',
    text: `SELECT ${productColumns} FROM inventories WHERE product_id = $1`,
    values: [productId],
  };
}
