/** Types of the ledger (history partitions, checkpoints, audits) that several layers share. */

/** A partition of `inventory_logs`: the half-open range [from, to) of `created_at` it holds. */
export interface LogPartition {
  name: string;
  /** Null for the partition that starts at MINVALUE (`inventory_logs_legacy`). */
  from: Date | null;
  to: Date;
}

export interface PartitionRange { name: string; from: Date; to: Date }
