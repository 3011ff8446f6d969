/**
 * The piscina pool of reconciliation workers, with every bound explicit. The worker file
 * (`reconcile-worker`) sits next to this module (see `worker-entry.ts` for how it is started).
 */
import { Piscina } from 'piscina';
import { assert } from '../assert.js';
import * as limits from '../limits.js';
import { workerEntry } from '../worker-entry.js';
import type { PartitionOutcome, PartitionTask, RebuildOutcome, RebuildTask, WorkerSetup } from './reconcile-types.js';

/** One pool for both kinds of run: the worker file exports a function for each. */
export type ReconcilePool = Piscina<PartitionTask | RebuildTask, PartitionOutcome | RebuildOutcome>;

export function runScan(pool: ReconcilePool, task: PartitionTask, signal: AbortSignal): Promise<PartitionOutcome> {
  return pool.run(task, { signal }) as Promise<PartitionOutcome>;
}

export function runRebuild(pool: ReconcilePool, task: RebuildTask, signal: AbortSignal): Promise<RebuildOutcome> {
  return pool.run(task, { signal, name: 'rebuildPartition' }) as Promise<RebuildOutcome>;
}

export function createReconcilePool(setup: WorkerSetup, threads: number): ReconcilePool {
  assert(Number.isInteger(threads) && threads >= 1 && threads <= limits.reconcileWorkersMaxLimit);
  const entry = workerEntry('reconcile-worker', import.meta.url);
  return new Piscina<PartitionTask | RebuildTask, PartitionOutcome | RebuildOutcome>({
    filename: entry.filename,
    execArgv: entry.execArgv,
    workerData: setup,
    // No thread between runs: runs are minutes apart, and an idle thread holds three connections.
    minThreads: 0,
    maxThreads: threads,
    maxQueue: limits.reconcileQueueMax,
    idleTimeout: limits.reconcileWorkerIdleMs,
    // A span that ends by waiting out the settle grace leaves its thread idle: a second span may
    // scan meanwhile. The two share the thread's connections (the second cursor queues behind the
    // first), so the memory bound is two spans' chunks and settle queues.
    concurrentTasksPerWorker: limits.reconcileSpansPerWorkerThread,
    resourceLimits: { maxOldGenerationSizeMb: limits.reconcileWorkerHeapMb, maxYoungGenerationSizeMb: limits.reconcileWorkerYoungHeapMb },
    closeTimeout: 5_000,
  });
}
