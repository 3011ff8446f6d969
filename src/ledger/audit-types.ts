/**
 * What passes between the main thread and a ledger audit worker: plain data only (it is
 * structured-cloned), plus one SharedArrayBuffer through which workers publish progress.
 */
import type { Config } from '../config/config-types.js';
import type { AuditFindingRow } from '../store/postgres/audit-run-queries.js';

/** Given to every worker thread once, at its start (piscina `workerData`). */
export interface AuditWorkerSetup {
  postgres: Config['database']['postgres'];
}

/** One task: every product with `fromProductId <= product_id < toProductId`. */
export interface AuditSpanTask {
  fromProductId: number;
  toProductId: number;
  /** Findings this span may return (the run's share of `limits.auditFindingsMax`). */
  findingsMax: number;
  /** BigInt64Array(2): products and log rows audited so far by every worker of the run. */
  progress: SharedArrayBuffer;
}

export interface AuditSpanResult {
  products: number;
  rows: number;
  disagreements: number;
  findings: AuditFindingRow[];
}

/** A failure is data: an error crossing the thread boundary keeps only its message. */
export type AuditSpanOutcome = { ok: true; result: AuditSpanResult } | { ok: false; detail: string };
