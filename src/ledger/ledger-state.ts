/**
 * A product's stock and reserved at a point of its history, from the ledger alone: its checkpoint
 * plus the rows after it up to the point. A point by time counts the rows whose transaction had
 * started by then (a row is counted from its transaction's start: `created_at`); a point by log id
 * counts up to and including that row. Points before the retained history are refused with the
 * earliest time the ledger can answer for.
 */
import type pg from 'pg';
import { errors } from '../errors.js';
import { selectLedgerAt, type LedgerPoint, type PointRow } from '../store/postgres/ledger-queries.js';

export type { LedgerPoint } from '../store/postgres/ledger-queries.js';

export interface LedgerState {
  product_id: number;
  stock: number;
  reserved: number;
  available: number;
  /** The last log row the state includes (the checkpoint's when none after it); null before any. */
  log_id: number | null;
  log_at: Date | null;
  /** The earliest time this product's ledger answers for (its checkpoint, or its first row). */
  earliest_time: Date | null;
  checkpoint_log_id: number | null;
}

/** The product's row as it is now, read in the same statement as its ledger. */
export interface CurrentRow { stock: number; reserved: number; version: number; maxStock: number }

export async function ledgerStateAt(
  pool: pg.Pool, productId: number, point: LedgerPoint,
): Promise<{ state: LedgerState; current: CurrentRow | null }> {
  const row = await selectLedgerAt(pool, productId, point);
  const earliest = row.checkpoint_at ?? row.first_at;
  if (!row.product_exists && earliest === null) throw errors.inventoryNotFound(productId);
  refuseOutside(productId, point, row, earliest);
  const stock = row.start_stock + row.delta_sum;
  const reserved = row.start_reserved + row.reserved_sum;
  return {
    state: {
      product_id: productId, stock, reserved, available: stock - reserved,
      log_id: row.last_log_id, log_at: row.last_at, earliest_time: earliest,
      checkpoint_log_id: row.checkpoint_at === null ? null : row.start_log_id,
    },
    current: row.product_exists
      ? { stock: row.stock_now!, reserved: row.reserved_now!, version: row.version_now!, maxStock: row.max_stock! }
      : null,
  };
}

function refuseOutside(productId: number, point: LedgerPoint, row: PointRow, earliest: Date | null): void {
  switch (point.kind) {
    case 'time':
      if (earliest === null || point.time < earliest) throw errors.historyNotRetained(productId, earliest);
      return;
    case 'log':
      if (row.point_found) return;
      if (row.checkpoint_at !== null && point.logId < row.start_log_id) throw errors.historyNotRetained(productId, earliest);
      throw errors.logRowNotFound(productId, point.logId);
  }
}
