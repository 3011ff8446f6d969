/**
 * What reconciliation runs and rebuilds share: claiming a run (the kind's advisory lock and its
 * row, or the id of the run already going, here or on another instance), fanning its spans out to
 * the worker pool (one failing span stops the others), and its periodic progress line and row.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config/config-types.js';
import { errors } from '../errors.js';
import * as limits from '../limits.js';
import {
  closeAbandonedRuns, insertRun, selectActiveIdSpan, selectRunningRun, updateRunProgress, type RunKind, type RunTrigger,
} from '../store/postgres/reconcile-run-queries.js';
import { failAs, RunFailure } from './reconcile-failure.js';
import { tryRunLock, type RunLock } from './reconcile-lock.js';
import { splitSpan, type ProductSpan } from './reconcile-report.js';
import type { WorkerOutcome } from './reconcile-types.js';

export interface RunDeps {
  config: Config;
  readPool: pg.Pool;
  log: Logger;
}

export interface StartedRun { runId: string; joined: boolean }

/** A run this instance executes. */
export interface ActiveRun {
  readonly runId: string;
  readonly startedAtMs: number;
  /** BigInt64Array(1) over a SharedArrayBuffer: rows read, added to by the workers. */
  readonly progress: BigInt64Array;
  readonly abort: AbortController;
  done: Promise<void>;
}

export type Claim =
  | { joined: false; run: ActiveRun; lock: RunLock }
  | { joined: true; runId: string };

/** Takes the kind's lock and writes the run's row, or finds the run of that kind already going. */
export async function claimRun(deps: RunDeps, kind: RunKind, trigger: RunTrigger, instance: string): Promise<Claim> {
  const { config, readPool, log } = deps;
  for (let step = 0; step < limits.reconcileLockLookupSteps; step += 1) {
    const abort = new AbortController();
    const lock = await tryRunLock(kind, config.database.postgres, (error) => abort.abort(error));
    if (lock !== null) {
      const runId = randomUUID();
      try {
        const abandoned = await closeAbandonedRuns(readPool, kind);
        if (abandoned > 0) log.warn({ abandoned, kind }, 'closed runs left running by a stopped instance');
        await insertRun(readPool, runId, kind, trigger, instance);
      } catch (error) {
        await lock.release();
        throw error;
      }
      const progress = new BigInt64Array(new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT));
      return { joined: false, lock, run: { runId, startedAtMs: performance.now(), progress, abort, done: Promise.resolve() } };
    }
    const running = await selectRunningRun(readPool, kind);
    if (running !== null) return { joined: true, runId: running.run_id };
    await sleep(limits.reconcileLockLookupStepMs);
  }
  throw errors.overloaded(`another instance holds the ${kind} lock but shows no running run`);
}

/**
 * Splits the active id span into `spanCount` spans and runs `runSpan` for each (queued on the
 * pool by the caller), all at once; the first failure stops the others and is thrown.
 */
export async function runSpans<Result>(
  deps: RunDeps, run: ActiveRun, spanCount: number, runSpan: (span: ProductSpan, signal: AbortSignal) => Promise<Result>,
): Promise<Result[]> {
  const span = await failAs('database error', selectActiveIdSpan(deps.readPool));
  if (span === null) return [];
  // `run.abort` is kept for shutdown and a lost lock, so the run's outcome says which happened.
  const stopSpans = new AbortController();
  const signal = AbortSignal.any([run.abort.signal, stopSpans.signal]);
  const tasks = splitSpan(span.min, span.max, spanCount).map((productSpan) => runSpan(productSpan, signal));
  try {
    return await Promise.all(tasks);
  } catch (error) {
    stopSpans.abort(error);
    await Promise.allSettled(tasks);
    throw error;
  }
}

/** Every `reconcileProgressIntervalMs`: a progress line and the run row's count. Returns its stop. */
export function startProgressTicker(deps: RunDeps, run: ActiveRun, what: string): () => void {
  let writing = false;
  const tick = async () => {
    // A write still in flight: this tick is skipped rather than piled up.
    if (writing) return;
    writing = true;
    const scannedRows = Number(Atomics.load(run.progress, 0));
    const elapsedMs = performance.now() - run.startedAtMs;
    const rowsPerSecond = Math.round((scannedRows * 1000) / Math.max(elapsedMs, 1));
    deps.log.info({ run_id: run.runId, scanned_rows: scannedRows, rows_per_second: rowsPerSecond }, `${what} progress`);
    await updateRunProgress(deps.readPool, run.runId, scannedRows).catch(() => {});
    writing = false;
  };
  const ticker = setInterval(() => void tick(), limits.reconcileProgressIntervalMs);
  return () => clearInterval(ticker);
}

/** A span's answer as a result, or its failure thrown with the worker's reason and raw text. */
export function resultOf<Result>(outcome: WorkerOutcome<Result>): Result {
  if (outcome.ok) return outcome.result;
  throw new RunFailure(outcome.reason, new Error(outcome.detail));
}
