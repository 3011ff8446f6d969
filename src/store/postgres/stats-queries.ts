/** Aggregates for the stats endpoints: one pass over `inventories`, one over `inventory_diffs`. */
import type pg from 'pg';

export interface InventoryStatsRow {
  products: number;
  active: number;
  inactive: number;
  locked: number;
  total_stock: number;
  total_reserved: number;
  total_available: number;
  low_stock: number;
  out_of_stock: number;
}

/**
 * Low stock is the list filter's rule (`low_stock=true`): available ≤ min_stock, or ≤
 * `lowStockThreshold` when min_stock is 0, so out-of-stock products count as low too. Low and out
 * of stock count active products only (as alerts do): an inactive or locked product is not for sale.
 * Sums come back as float8: exact up to 2^53, and never an error for a catalogue beyond it.
 */
export async function selectInventoryStats(pool: pg.Pool, lowStockThreshold: number): Promise<InventoryStatsRow> {
  const result = await pool.query<InventoryStatsRow>({
    name: 'stats_inventory',
    text: `
      SELECT count(*)::bigint AS products,
             count(*) FILTER (WHERE status = 'active')::bigint AS active,
             count(*) FILTER (WHERE status = 'inactive')::bigint AS inactive,
             count(*) FILTER (WHERE status = 'locked')::bigint AS locked,
             coalesce(sum(stock), 0)::float8 AS total_stock,
             coalesce(sum(reserved), 0)::float8 AS total_reserved,
             coalesce(sum(available), 0)::float8 AS total_available,
             count(*) FILTER (WHERE status = 'active'
                                AND available <= CASE WHEN min_stock > 0 THEN min_stock ELSE $1::bigint END)::bigint AS low_stock,
             count(*) FILTER (WHERE status = 'active' AND available = 0)::bigint AS out_of_stock
        FROM inventories`,
    values: [lowStockThreshold],
  });
  return result.rows[0]!;
}

export interface DiffCountsRow {
  pending: number;
  fixed: number;
  ignored: number;
}

export async function countDiffsByStatus(pool: pg.Pool): Promise<DiffCountsRow> {
  const result = await pool.query<DiffCountsRow>({
    name: 'stats_diffs',
    text: `
      SELECT count(*) FILTER (WHERE status = 'pending')::bigint AS pending,
             count(*) FILTER (WHERE status = 'fixed')::bigint AS fixed,
             count(*) FILTER (WHERE status = 'ignored')::bigint AS ignored
        FROM inventory_diffs`,
  });
  return result.rows[0]!;
}
