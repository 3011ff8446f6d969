/** Keyset-paged listing and batch reads of inventory rows (reads only; writes go through the engine). */
import type pg from 'pg';
import type { InventoryStatus } from '../../domain/inventory.js';
import { inventoryColumns, type InventoryRow } from './inventory-queries.js';

export interface InventoryFilter {
  status: InventoryStatus | null;
  /** available <= min_stock, or <= `lowStockThreshold` when min_stock is 0. */
  lowStock: boolean;
  outOfStock: boolean;
  lowStockThreshold: number;
}

/**
 * Rows after `afterProductId` in product_id order. Keyset on the immutable primary key: a row
 * changing while a client pages never moves it to another page. Each filter combination is its
 * own prepared statement, so the planner sees plain conditions (and can use the status index).
 */
export async function selectInventoryPage(
  pool: pg.Pool, filter: InventoryFilter, afterProductId: number, limitRows: number,
): Promise<InventoryRow[]> {
  const values: unknown[] = [afterProductId];
  const conditions = ['product_id > $1'];
  if (filter.status !== null) {
    values.push(filter.status);
    conditions.push(`status = $${values.length}::text`);
  }
  if (filter.lowStock) {
    values.push(filter.lowStockThreshold);
    conditions.push(`available <= CASE WHEN min_stock > 0 THEN min_stock ELSE $${values.length}::bigint END`);
  }
  if (filter.outOfStock) conditions.push('available = 0');
  values.push(limitRows);
  const shape = `${filter.status !== null ? 's' : ''}${filter.lowStock ? 'l' : ''}${filter.outOfStock ? 'o' : ''}`;
  const result = await pool.query<InventoryRow>({
    name: `inventory_list_${shape}`,
    text: `SELECT ${inventoryColumns} FROM inventories WHERE ${conditions.join(' AND ')}
            ORDER BY product_id LIMIT $${values.length}::int`,
    values,
  });
  return result.rows;
}

export async function selectInventories(pool: pg.Pool, productIds: number[]): Promise<InventoryRow[]> {
  const result = await pool.query<InventoryRow>({
    name: 'inventory_select_many',
    text: `SELECT ${inventoryColumns} FROM inventories WHERE product_id = ANY($1::bigint[])`,
    values: [productIds],
  });
  return result.rows;
}
