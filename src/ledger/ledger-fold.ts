/**
 * The audit of one product's ledger, pure: fold its log rows (in id order) onto its start (the
 * checkpoint, or zero when history was never cut), then compare with its inventory row.
 *
 * What must hold, and why each is checkable:
 * - the chain: every row's before_stock is the previous row's after_stock (the first row's is the
 *   checkpoint's stock, or 0 before an `init`), because rows are written in commit order under the
 *   product's row lock. A deleted or edited row breaks it at the row after it;
 * - stock = checkpoint stock + Σ delta, and reserved = checkpoint reserved + Σ reserved_delta,
 *   because every change of either writes its row in the transaction of the change. A row edited
 *   behind the service's back (or a deleted last row) makes one of them differ;
 * - a checkpoint whose stock differs from the sum it was cut with recorded a break in history
 *   that is gone now; it stays reported.
 * Rows with an id at or below the checkpoint's are covered by it (a transaction that started later
 * can take a lower id and land in the next partition) and are skipped.
 */
import type { AuditProblem } from '../domain/ledger.js';

export type { AuditProblem } from '../domain/ledger.js';

export interface LedgerStart {
  /** The last log row the checkpoint covers; 0 without a checkpoint. */
  logId: number;
  stock: number;
  /** The stock the cut history summed to; equal to `stock` unless that history had a break. */
  stockBySum: number;
  reserved: number;
  /** When the checkpoint's last row was written; null without a checkpoint. */
  at: Date | null;
}

export const noCheckpoint: LedgerStart = { logId: 0, stock: 0, stockBySum: 0, reserved: 0, at: null };

export interface LedgerRow {
  id: number;
  delta: number;
  reservedDelta: number;
  beforeStock: number;
  afterStock: number;
}

export interface ChainBreak {
  log_id: number;
  /** The previous row's after_stock (or the checkpoint's stock). */
  expected_before_stock: number;
  before_stock: number;
}

export interface AuditVerdict {
  product_id: number;
  agrees: boolean;
  problems: AuditProblem[];
  /** The row's stock and reserved equal the ledger's. */
  row_agrees: boolean;
  chain_unbroken: boolean;
  first_break: ChainBreak | null;
  rows_checked: number;
  last_log_id: number | null;
  ledger: { stock: number; reserved: number };
  row: { stock: number; reserved: number } | null;
  checkpoint: { log_id: number; stock: number; reserved: number; at: Date } | null;
}

export class LedgerFold {
  private rows = 0;
  private deltaSum = 0;
  private reservedSum = 0;
  private expectedBefore: number;
  private lastLogId: number | null = null;
  private firstBreak: ChainBreak | null = null;

  constructor(readonly productId: number, private readonly start: LedgerStart) {
    this.expectedBefore = start.stock;
  }

  /** Rows must come in id order. */
  add(row: LedgerRow): void {
    if (row.id <= this.start.logId) return;
    if (this.firstBreak === null && row.beforeStock !== this.expectedBefore) {
      this.firstBreak = { log_id: row.id, expected_before_stock: this.expectedBefore, before_stock: row.beforeStock };
    }
    this.expectedBefore = row.afterStock;
    this.deltaSum += row.delta;
    this.reservedSum += row.reservedDelta;
    this.rows += 1;
    this.lastLogId = row.id;
  }

  /** The verdict against the product's row (null: no inventory row). */
  verdict(row: { stock: number; reserved: number } | null): AuditVerdict {
    const start = this.start;
    const ledger = { stock: start.stock + this.deltaSum, reserved: start.reserved + this.reservedSum };
    const hasHistory = this.rows > 0 || start.at !== null;
    const problems: AuditProblem[] = [];
    if (row === null) problems.push('no_inventory_row');
    else if (!hasHistory) problems.push('no_history');
    if (this.firstBreak !== null) problems.push('chain_break');
    if (start.stock !== start.stockBySum) problems.push('checkpoint_break');
    const stockAgrees = row !== null && row.stock === ledger.stock;
    const reservedAgrees = row !== null && row.reserved === ledger.reserved;
    if (row !== null && hasHistory && !stockAgrees) problems.push('stock_differs');
    if (row !== null && hasHistory && !reservedAgrees) problems.push('reserved_differs');
    return {
      product_id: this.productId,
      agrees: problems.length === 0,
      problems,
      row_agrees: hasHistory && stockAgrees && reservedAgrees,
      chain_unbroken: this.firstBreak === null,
      first_break: this.firstBreak,
      rows_checked: this.rows,
      last_log_id: this.lastLogId ?? (start.at === null ? null : start.logId),
      ledger,
      row,
      checkpoint: start.at === null ? null : { log_id: start.logId, stock: start.stock, reserved: start.reserved, at: start.at },
    };
  }
}
