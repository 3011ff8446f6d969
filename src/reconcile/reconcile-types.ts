/**
 * What passes between the main thread and a reconciliation worker: plain data only (it is
 * structured-cloned), plus one SharedArrayBuffer through which workers publish progress.
 */
import type { Config, RedisMode } from '../config/config-types.js';
import type { AlertLevel, AlertType } from '../domain/alerts.js';
import type { EventRoutes } from '../domain/events.js';
import type { FailureReason } from './reconcile-failure.js';

/** Given to every worker thread once, at its start (piscina `workerData`). */
export interface WorkerSetup {
  postgres: Config['database']['postgres'];
  redis: Config['redis'];
}

/** The rules of a run, from `inventory.health_check` and `redis.mode`. */
export interface ScanSettings extends CompareRule {
  alertThreshold: number;
  lowStockThreshold: number;
  chunkRows: number;
  /** How long after its second look an unsettled candidate gets its settling look. */
  settleGraceMs: number;
  /** Webhooks of the alert and diff events a scan writes to the outbox (src/domain/events.ts). */
  eventRoutes: EventRoutes;
}

export interface CompareRule {
  mode: RedisMode;
  tolerance: number;
  /** seckill mode only: how far Redis may sit below the DB available before it is a candidate. */
  inflightAllowance: number;
  /** cache mode: a row unchanged this long has no post-commit Redis write in flight. */
  quietAfterMs: number;
}

/** One task: the active products with `fromProductId <= product_id < toProductId`. */
export interface PartitionTask {
  runId: string;
  fromProductId: number;
  toProductId: number;
  settings: ScanSettings;
  /** BigInt64Array(1): rows scanned so far by every worker of the run, added atomically per chunk. */
  progress: SharedArrayBuffer;
}


/** A line for the WARN log, written by the main thread (workers do not log). */
export interface RunNote {
  productId: number;
  kind: AlertType | 'diff';
  level: AlertLevel;
  message: string;
}

export interface PartitionResult {
  scannedRows: number;
  /** Rows that differed on the first look (cursor row against MGET). */
  candidateRows: number;
  /** Candidates that needed the settling look (version behind, missing key, seckill mode). */
  settlingRows: number;
  /** Candidates dropped because a commit moved the product between the looks (in flight). */
  movedRows: number;
  diffsRecorded: number;
  /** Newly raised alerts (and diff alerts raised to a higher level) by `${type}:${level}`. */
  alertsRaised: Record<string, number>;
  /** Pending alerts closed because their condition was gone. */
  alertsCleared: number;
  /** At most `limits.reconcileWarnLinesMax` notes; the counts above are complete. */
  notes: RunNote[];
  /** Notes left out because `notes` was full. */
  notesDropped: number;
}

export function emptyPartitionResult(): PartitionResult {
  return {
    scannedRows: 0, candidateRows: 0, settlingRows: 0, movedRows: 0, diffsRecorded: 0, alertsRaised: {}, alertsCleared: 0,
    notes: [], notesDropped: 0,
  };
}

/**
 * What a task answers. A failure is data rather than a thrown error: an error crossing the thread
 * boundary keeps only its message, and the run needs the reason apart from the raw text.
 */
export type WorkerOutcome<Result> =
  | { ok: true; result: Result }
  | { ok: false; reason: FailureReason; detail: string };

export type PartitionOutcome = WorkerOutcome<PartitionResult>;

/** One rebuild task: write the active products with `fromProductId <= product_id < toProductId` to Redis. */
export interface RebuildTask {
  runId: string;
  fromProductId: number;
  toProductId: number;
  chunkRows: number;
  /** Products per script call (`limits.rebuildScriptRowsMax`). */
  scriptRows: number;
  /** BigInt64Array(1): rows read so far by every worker of the rebuild. */
  progress: SharedArrayBuffer;
}

export interface RebuildResult {
  scannedRows: number;
  /** Products whose keys were written; the others were skipped (Redis held a newer version, or seckill's live key). */
  keysWritten: number;
}

export type RebuildOutcome = WorkerOutcome<RebuildResult>;
