/**
 * Turns the audit scan's stream (`auditScanText`: each product's inventory row, then its log rows
 * in id order) into one verdict per product, holding one product's fold at a time.
 */
import type pg from 'pg';
import Cursor from 'pg-cursor';
import { auditScanText, type AuditScanRow } from '../store/postgres/ledger-queries.js';
import { LedgerFold, noCheckpoint, type AuditVerdict, type LedgerStart } from './ledger-fold.js';

interface Current {
  productId: number;
  fold: LedgerFold;
  row: { stock: number; reserved: number } | null;
}

export class LedgerScan {
  private current: Current | null = null;

  constructor(private readonly onVerdict: (verdict: AuditVerdict) => void) {}

  push(scanRow: AuditScanRow): void {
    const [kind, productId, id, v1, v2, v3, v4, v5, v6, at] = scanRow;
    if (this.current === null || this.current.productId !== productId) {
      this.finish();
      // The inventory row sorts before its log rows; a product without one starts from its first log row.
      const start: LedgerStart = kind === 0 && v3 !== null
        ? { logId: v3, stock: v4!, stockBySum: v5!, reserved: v6!, at }
        : noCheckpoint;
      this.current = { productId, fold: new LedgerFold(productId, start), row: kind === 0 ? { stock: v1, reserved: v2 } : null };
    }
    if (kind === 1) this.current.fold.add({ id, delta: v1, reservedDelta: v2, beforeStock: v3!, afterStock: v4! });
  }

  /** Ends the product in progress (call once the stream is done). */
  finish(): void {
    if (this.current === null) return;
    this.onVerdict(this.current.fold.verdict(this.current.row));
    this.current = null;
  }
}

/**
 * Streams the products of [fromProductId, toProductId) through `scan` with a cursor, `batchRows` at
 * a time (one statement: one snapshot). Answers the number of log rows read. The caller ends the scan.
 */
export async function scanRange(
  client: pg.ClientBase, fromProductId: number, toProductId: number, scan: LedgerScan, batchRows: number,
): Promise<number> {
  const cursor = client.query(new Cursor<AuditScanRow>(auditScanText, [fromProductId, toProductId], { rowMode: 'array' }));
  let read = 0;
  try {
    // Bounded: the range holds finitely many rows, and a short batch is the last.
    for (;;) {
      const rows = await cursor.read(batchRows);
      for (const row of rows) {
        scan.push(row);
        read += row[0]; // kind: 1 for a log row, 0 for an inventory row
      }
      if (rows.length < batchRows) return read;
    }
  } finally {
    await cursor.close().catch(() => {});
  }
}
