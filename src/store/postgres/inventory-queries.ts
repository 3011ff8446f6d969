/** Reads and writes of inventory rows outside the engine's flushes. */
import type pg from 'pg';
import * as limits from '../../limits.js';
import { bigintArrayLiteral } from './array-literals.js';
import type { InventoryStatus } from '../../domain/inventory.js';

export interface InventoryRow {
  product_id: number;
  product_name: string;
  stock: number;
  reserved: number;
  available: number;
  version: number;
  status: InventoryStatus;
  min_stock: number;
  max_stock: number;
  created_at: Date;
  updated_at: Date;
}

export const inventoryColumns =
  'product_id, product_name, stock, reserved, available, version, status, min_stock, max_stock, created_at, updated_at';

/**
 * One row by product id. Reads that arrive in the same turn of the event loop are served by one
 * `WHERE product_id = ANY($1)` query: a query per request would cost a round trip and a pooled
 * connection each, so under load the requests parsed in one I/O phase share one (the engine
 * batches writes the same way). Past `limits.readCoalesceIdsMax` distinct ids, another query starts.
 */
export function selectInventory(pool: pg.Pool, productId: number): Promise<InventoryRow | null> {
  let reads = coalescedReads.get(pool);
  if (reads === undefined) coalescedReads.set(pool, (reads = new CoalescedReads(pool)));
  return reads.read(productId);
}

/** One row by product id, one query per call: the naive engine's read (the benchmark baseline). */
export async function selectInventoryAlone(pool: pg.Pool, productId: number): Promise<InventoryRow | null> {
  const result = await pool.query<InventoryRow>({
    name: 'inventory_select_one',
    text: `SELECT ${inventoryColumns} FROM inventories WHERE product_id = $1`,
    values: [productId],
  });
  return result.rows[0] ?? null;
}

interface Waiter { resolve(row: InventoryRow | null): void; reject(error: unknown): void }

const coalescedReads = new WeakMap<pg.Pool, CoalescedReads>();

class CoalescedReads {
  private waiting = new Map<number, Waiter[]>();
  private scheduled = false;

  constructor(private readonly pool: pg.Pool) {}

  read(productId: number): Promise<InventoryRow | null> {
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(productId);
      if (waiters !== undefined) {
        waiters.push({ resolve, reject });
        return;
      }
      if (this.waiting.size >= limits.readCoalesceIdsMax) this.send();
      this.waiting.set(productId, [{ resolve, reject }]);
      if (this.scheduled) return;
      this.scheduled = true;
      // setImmediate: every request parsed in this I/O phase has asked by then.
      setImmediate(() => {
        this.scheduled = false;
        this.send();
      });
    });
  }

  private send(): void {
    const batch = this.waiting;
    if (batch.size === 0) return;
    this.waiting = new Map();
    this.pool.query<InventoryRow>({
      name: 'inventory_select_coalesced',
      text: `SELECT ${inventoryColumns} FROM inventories WHERE product_id = ANY($1::bigint[])`,
      values: [bigintArrayLiteral([...batch.keys()])],
    }).then((result) => {
      const byId = new Map(result.rows.map((row) => [row.product_id, row]));
      for (const [productId, waiters] of batch) for (const waiter of waiters) waiter.resolve(byId.get(productId) ?? null);
    }, (error: unknown) => {
      for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
    });
  }
}

export interface NewInventory {
  productId: number;
  productName: string;
  stock: number;
  status: InventoryStatus;
  minStock: number;
  maxStock: number;
  reason: string | null;
  operator: string | null;
  traceId: string;
}

/**
 * Creates the row and its `init` log row in one statement; null when the product already exists
 * (the log insert sees no new row and writes nothing).
 */
export async function insertInventory(pool: pg.Pool, inventory: NewInventory): Promise<InventoryRow | null> {
  const result = await pool.query<InventoryRow>({
    name: 'inventory_insert',
    text: `
      WITH created AS (
        INSERT INTO inventories (product_id, product_name, stock, status, min_stock, max_stock)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (product_id) DO NOTHING
        RETURNING ${inventoryColumns}
      ), logged AS (
        INSERT INTO inventory_logs (product_id, op_type, delta, before_stock, after_stock, reason, operator, trace_id)
        SELECT product_id, 'init', stock, 0, stock, $7, $8, $9 FROM created
      )
      SELECT * FROM created`,
    values: [inventory.productId, inventory.productName, inventory.stock, inventory.status, inventory.minStock,
      inventory.maxStock, inventory.reason, inventory.operator, inventory.traceId],
  });
  return result.rows[0] ?? null;
}
