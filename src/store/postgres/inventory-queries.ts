/** Reads and writes of inventory rows outside the engine's flushes. */
import type pg from 'pg';
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

export async function selectInventory(pool: pg.Pool, productId: number): Promise<InventoryRow | null> {
  const result = await pool.query<InventoryRow>({
    name: 'inventory_select_one',
    text: `SELECT ${inventoryColumns} FROM inventories WHERE product_id = $1`,
    values: [productId],
  });
  return result.rows[0] ?? null;
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
