/**
 * The engine's totals since this instance started, read back from its own Prometheus metrics, so
 * the stats endpoint and /metrics can never disagree: syncs by result, flushes by outcome, and the
 * mean number of operations a flush took.
 */
import type { Metrics } from './metrics.js';

/** Results that mean the change is committed (a replay answers with the committed first result). */
const successfulResults = new Set(['success', 'replayed']);

export interface EngineTotals {
  sync: { total: number; by_result: Record<string, number>; success_rate: number | null };
  flushes: { total: number; by_outcome: Record<string, number>; batches: number; batched_ops: number; mean_batch_size: number | null };
}

export async function engineTotals(metrics: Metrics): Promise<EngineTotals> {
  const [syncs, flushes, batchSize] = await Promise.all([metrics.syncRequests.get(), metrics.flushes.get(), metrics.flushOps.get()]);
  // Every known result has a series from the start (at 0, for Prometheus); the answer lists those that happened.
  const byResult = Object.fromEntries(Object.entries(countsBy(syncs.values, 'result')).filter(([, count]) => count > 0));
  const syncTotal = sum(Object.values(byResult));
  const succeeded = sum(Object.entries(byResult).filter(([result]) => successfulResults.has(result)).map(([, count]) => count));
  const byOutcome = countsBy(flushes.values, 'outcome');
  const batches = batchSize.values.find((value) => value.metricName === `${batchSize.name}_count`)?.value ?? 0;
  const batchedOps = batchSize.values.find((value) => value.metricName === `${batchSize.name}_sum`)?.value ?? 0;
  return {
    sync: { total: syncTotal, by_result: byResult, success_rate: syncTotal === 0 ? null : succeeded / syncTotal },
    flushes: {
      total: sum(Object.values(byOutcome)), by_outcome: byOutcome,
      batches, batched_ops: batchedOps, mean_batch_size: batches === 0 ? null : batchedOps / batches,
    },
  };
}

function countsBy(values: { labels: Partial<Record<string, string | number>>; value: number }[], label: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { labels, value } of values) {
    const key = String(labels[label]);
    counts[key] = (counts[key] ?? 0) + value;
  }
  return counts;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
