/**
 * The pieces of a run that are not its lifecycle: its settings, splitting the id space into spans,
 * summing the workers' results, recording them as metrics and log lines, and the report the API
 * returns.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { assert } from '../assert.js';
import type { Config } from '../config/config-types.js';
import * as limits from '../limits.js';
import type { ReconcileMetrics } from '../metrics/reconcile-metrics.js';
import { selectRunDiffs, type DiffRow } from '../store/postgres/diff-queries.js';
import type { RunRow, RunStatus } from '../store/postgres/reconcile-run-queries.js';
import type { AlertLevel, AlertType } from '../domain/alerts.js';
import { eventRoutesOf } from '../domain/events.js';
import type { PartitionResult, RunNote, ScanSettings } from './reconcile-types.js';

export function scanSettings(config: Config): ScanSettings {
  const healthCheck = config.inventory.health_check;
  const settleGraceMs = config.redis.command_timeout_ms + limits.reconcileSettleMarginMs;
  return {
    mode: config.redis.mode,
    tolerance: healthCheck.tolerance,
    inflightAllowance: healthCheck.inflight_allowance,
    alertThreshold: healthCheck.alert_threshold,
    lowStockThreshold: config.inventory.low_stock_threshold,
    chunkRows: healthCheck.chunk_rows,
    settleGraceMs,
    quietAfterMs: settleGraceMs + limits.reconcileCommitLagMs,
    eventRoutes: eventRoutesOf(config.notifications.webhooks),
  };
}

export interface ProductSpan { fromProductId: number; toProductId: number }

/** `count` spans of (nearly) equal width covering [min, max]; fewer when there are fewer ids. */
export function splitSpan(min: number, max: number, count: number): ProductSpan[] {
  assert(Number.isSafeInteger(min) && Number.isSafeInteger(max) && min <= max && count >= 1);
  const width = BigInt(max) - BigInt(min) + 1n;
  const spans = BigInt(count) < width ? BigInt(count) : width;
  const boundary = (index: bigint) => Number(BigInt(min) + (width * index) / spans);
  const result: ProductSpan[] = [];
  for (let index = 0n; index < spans; index += 1n) {
    result.push({ fromProductId: boundary(index), toProductId: boundary(index + 1n) });
  }
  return result;
}

export interface RunSummary {
  scannedRows: number;
  candidates: number;
  settling: number;
  moved: number;
  diffsFound: number;
  alertsRaised: Map<string, number>;
  alertsRaisedTotal: number;
  alertsCleared: number;
  notes: RunNote[];
  notesDropped: number;
}

export function summarise(results: PartitionResult[]): RunSummary {
  const summary: RunSummary = {
    scannedRows: 0, candidates: 0, settling: 0, moved: 0, diffsFound: 0, alertsRaised: new Map(), alertsRaisedTotal: 0, alertsCleared: 0,
    notes: [], notesDropped: 0,
  };
  for (const result of results) {
    summary.scannedRows += result.scannedRows;
    summary.candidates += result.candidateRows;
    summary.settling += result.settlingRows;
    summary.moved += result.movedRows;
    summary.diffsFound += result.diffsRecorded;
    summary.alertsCleared += result.alertsCleared;
    for (const [key, count] of Object.entries(result.alertsRaised)) {
      summary.alertsRaised.set(key, (summary.alertsRaised.get(key) ?? 0) + count);
      summary.alertsRaisedTotal += count;
    }
    const kept = result.notes.slice(0, limits.reconcileWarnLinesMax - summary.notes.length);
    summary.notes.push(...kept);
    summary.notesDropped += result.notesDropped + result.notes.length - kept.length;
  }
  return summary;
}

export function recordRunMetrics(metrics: ReconcileMetrics, outcome: RunStatus, durationMs: number, summary: RunSummary): void {
  metrics.runs.inc({ outcome });
  metrics.runDuration.observe(durationMs / 1000);
  metrics.rowsScanned.inc(summary.scannedRows);
  metrics.lastRunRowsScanned.set(summary.scannedRows);
  metrics.lastRunDiffsFound.set(summary.diffsFound);
  metrics.lastRunDuration.set(durationMs / 1000);
  metrics.diffsFound.inc(summary.diffsFound);
  for (const [key, count] of summary.alertsRaised) {
    const [type, level] = key.split(':') as [AlertType, AlertLevel];
    metrics.alertsRaised.inc({ type, level }, count);
  }
}

/** One WARN line per diff and new alert, up to `reconcileWarnLinesMax`, then one line with the rest. */
export function logRunNotes(log: Logger, runId: string, summary: RunSummary): void {
  for (const note of summary.notes) {
    // `alert_level`, not `level`: pino's own numeric level would be shadowed in the JSON line.
    log.warn({ run_id: runId, product_id: note.productId, kind: note.kind, alert_level: note.level }, note.message);
  }
  const unlogged = summary.notesDropped;
  if (unlogged > 0) {
    log.warn({ run_id: runId, diffs_found: summary.diffsFound, alerts_raised: summary.alertsRaisedTotal },
      `${unlogged} more diffs and alerts of this run are not logged one by one; see GET /api/v1/health/runs/${runId} and GET /api/v1/alerts`);
  }
}

/** A run's row as the API shows it: `scanned` rather than the column's name, plus derived figures. */
export interface RunReport extends Omit<RunRow, 'progress_at' | 'scanned_rows'> {
  scanned: number;
  duration_ms: number;
  rows_per_second: number;
  /** The first `reconcileReportDiffsMax` diffs of the run, in the order they were recorded. */
  diffs: DiffRow[];
}

/** `liveScannedRows`: the running run's counter, fresher than its row when this instance runs it. */
export async function buildReport(pool: pg.Pool, run: RunRow, liveScannedRows: number | null): Promise<RunReport> {
  const endMs = run.finished_at?.getTime() ?? Date.now();
  const durationMs = Math.max(0, endMs - run.started_at.getTime());
  const scanned = liveScannedRows ?? run.scanned_rows;
  return {
    run_id: run.run_id, kind: run.kind, status: run.status, trigger: run.trigger, instance: run.instance,
    started_at: run.started_at, finished_at: run.finished_at,
    scanned, candidates: run.candidates, settling: run.settling, moved: run.moved, diffs_found: run.diffs_found, alerts_raised: run.alerts_raised,
    auto_fixed: run.auto_fixed, keys_written: run.keys_written, keys_skipped: run.keys_skipped, duration_ms: durationMs,
    rows_per_second: durationMs > 0 ? Math.round((scanned * 1000) / durationMs) : 0,
    error: run.error,
    diffs: await selectRunDiffs(pool, run.run_id, limits.reconcileReportDiffsMax),
  };
}

export function logRunEnd(log: Logger, runId: string, outcome: RunStatus, durationMs: number, summary: RunSummary, autoFixed: number): void {
  const fields = {
    run_id: runId, outcome, duration_ms: Math.round(durationMs), scanned_rows: summary.scannedRows,
    rows_per_second: Math.round((summary.scannedRows * 1000) / Math.max(durationMs, 1)),
    candidates: summary.candidates, settling: summary.settling, moved: summary.moved, diffs_found: summary.diffsFound,
    alerts_raised: summary.alertsRaisedTotal, alerts_cleared: summary.alertsCleared, auto_fixed: autoFixed,
  };
  if (summary.diffsFound > 0) log.warn(fields, `reconciliation found ${summary.diffsFound} diffs`);
  else log.info(fields, 'reconciliation run finished');
}
