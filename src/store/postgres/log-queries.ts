/** Reads of `inventory_logs`, newest first, keyset-paged on the log id. */
import type { LogOpType } from '../../domain/stock-ops.js';
import type pg from 'pg';

export interface LogRow {
  id: number;
  product_id: number;
  op_type: LogOpType;
  delta: number;
  reserved_delta: number;
  before_stock: number;
  after_stock: number;
  order_id: string | null;
  reason: string | null;
  operator: string | null;
  trace_id: string | null;
  created_at: Date;
}

const logColumns =
  'id, product_id, op_type, delta, reserved_delta, before_stock, after_stock, order_id, reason, operator, trace_id, created_at';

/** Ids are drawn from one sequence, so "below the cursor" is "older than the last row seen". */
const noCursor = Number.MAX_SAFE_INTEGER;

export async function selectProductLogs(
  pool: pg.Pool, productId: number, beforeId: number | null, limitRows: number,
): Promise<LogRow[]> {
  const result = await pool.query<LogRow>({
    name: 'logs_by_product',
    text: `SELECT ${logColumns} FROM inventory_logs WHERE product_id = $1 AND id < $2
            ORDER BY id DESC LIMIT $3::int`,
    values: [productId, beforeId ?? noCursor, limitRows],
  });
  return result.rows;
}

export type LogLookup = { by: 'order_id' | 'trace_id'; value: string };

export async function selectLogsBy(
  pool: pg.Pool, lookup: LogLookup, beforeId: number | null, limitRows: number,
): Promise<LogRow[]> {
  // The column name comes from the closed union above, never from the request text.
  const column = lookup.by === 'order_id' ? 'order_id' : 'trace_id';
  const result = await pool.query<LogRow>({
    name: `logs_by_${column}`,
    text: `SELECT ${logColumns} FROM inventory_logs WHERE ${column} = $1 AND id < $2
            ORDER BY id DESC LIMIT $3::int`,
    values: [lookup.value, beforeId ?? noCursor, limitRows],
  });
  return result.rows;
}
