/** Types of the ledger (history partitions, checkpoints, audits) that several layers share. */

/** A partition of `inventory_logs`: the half-open range [from, to) of `created_at` it holds. */
export interface LogPartition {
  name: string;
  /** Null for the partition that starts at MINVALUE (`inventory_logs_legacy`). */
  from: Date | null;
  to: Date;
}

/** What an audit can find wrong with a product against its ledger (see `ledger/ledger-fold.ts`). */
export type AuditProblem =
  | 'chain_break'
  | 'checkpoint_break'
  | 'stock_differs'
  | 'reserved_differs'
  | 'no_history'
  | 'no_inventory_row';

export interface PartitionRange { name: string; from: Date; to: Date }
