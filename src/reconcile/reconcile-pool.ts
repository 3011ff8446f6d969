/**
 * The piscina pool of reconciliation workers, with every bound explicit. The worker file sits next
 * to this module: `reconcile-worker.js` when the service runs compiled (`node dist/server.js`), and
 * `reconcile-worker.ts` when it runs from source (tsx, vitest); a worker thread does not inherit
 * the parent's TypeScript loader, so then it is given tsx's loader explicitly, by absolute URL (a
 * bare `tsx` would be resolved from the working directory, which is anywhere).
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { assert } from '../assert.js';
import * as limits from '../limits.js';
import type { PartitionOutcome, PartitionTask, WorkerSetup } from './reconcile-types.js';

export type ReconcilePool = Piscina<PartitionTask, PartitionOutcome>;

interface WorkerEntry { filename: string; execArgv: string[] }

export function workerEntry(moduleUrl = import.meta.url): WorkerEntry {
  const fromSource = moduleUrl.endsWith('.ts');
  const filename = fileURLToPath(new URL(`./reconcile-worker.${fromSource ? 'ts' : 'js'}`, moduleUrl));
  if (!fromSource) return { filename, execArgv: [] };
  const tsxLoader = pathToFileURL(createRequire(moduleUrl).resolve('tsx')).href;
  return { filename, execArgv: ['--import', tsxLoader] };
}

export function createReconcilePool(setup: WorkerSetup, threads: number): ReconcilePool {
  assert(Number.isInteger(threads) && threads >= 1 && threads <= limits.reconcileWorkersMaxLimit);
  const entry = workerEntry();
  return new Piscina<PartitionTask, PartitionOutcome>({
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
