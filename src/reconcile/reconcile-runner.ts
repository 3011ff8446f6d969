/**
 * The health checker's runs: start one (or join the one already going, here or on another
 * instance), scan every span of product ids in the worker pool, apply auto_fix, and keep the run's
 * row and progress up to date. One run at a time per database: the advisory lock decides who runs,
 * and the others answer with the running run's id.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config/config-types.js';
import { errors } from '../errors.js';
import * as limits from '../limits.js';
import { settledWithin } from '../timeout.js';
import type { ReconcileMetrics } from '../metrics/reconcile-metrics.js';
import {
  closeAbandonedRuns, finishRun, insertRun, selectActiveIdSpan, selectLastRun, selectRun, selectRunningRun,
  updateRunProgress, type RunRow, type RunStatus, type RunTrigger,
} from '../store/postgres/reconcile-run-queries.js';
import { selectFixableDiffIds } from '../store/postgres/diff-queries.js';
import type { DiffRow } from '../store/postgres/diff-queries.js';
import type { FixDeps, FixRequest } from './diff-fixes.js';
import { attemptFix } from './fix-attempts.js';
import { fixDiffs, type BulkFixRequest, type BulkFixResult } from './diff-fix-bulk.js';
import { tryRunLock, type RunLock } from './reconcile-lock.js';
import { createReconcilePool, type ReconcilePool } from './reconcile-pool.js';
import { failAs, reasonOf, RunFailure, type FailureReason } from './reconcile-failure.js';
import {
  buildReport, logRunEnd, logRunNotes, recordRunMetrics, scanSettings, splitSpan, summarise, type RunReport,
} from './reconcile-report.js';
import type { PartitionOutcome, PartitionResult } from './reconcile-types.js';

export interface ReconcilerDeps {
  config: Config;
  readPool: pg.Pool;
  log: Logger;
  metrics: ReconcileMetrics;
  fix: FixDeps;
}

interface ActiveRun {
  readonly runId: string;
  readonly startedAtMs: number;
  /** BigInt64Array(1) over a SharedArrayBuffer: rows scanned, added to by the workers. */
  readonly progress: BigInt64Array;
  readonly abort: AbortController;
  done: Promise<void>;
}

export interface StartedRun { runId: string; joined: boolean }

export class Reconciler {
  private readonly pool: ReconcilePool;
  private readonly instance = `${hostname()}:${process.pid}`;
  private active: ActiveRun | null = null;
  private starting: Promise<StartedRun> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private lastFailure: FailureReason | null = null;
  /** A progress write still in flight: the next tick skips rather than piling up. */
  private progressWriting = false;

  constructor(private readonly deps: ReconcilerDeps) {
    const { config } = deps;
    this.pool = createReconcilePool({ postgres: config.database.postgres, redis: config.redis }, config.inventory.health_check.workers);
  }

  /**
   * Starts a run, or returns the one already running (here or on another instance). `traceId`: the
   * request that asked for it, named in the run's first log line (later lines name the run_id).
   */
  start(trigger: RunTrigger, traceId: string | null = null): Promise<StartedRun> {
    if (this.closed) return Promise.reject(errors.shuttingDown());
    if (this.active !== null) return Promise.resolve({ runId: this.active.runId, joined: true });
    // A second caller while the first is still taking the lock joins whatever the first gets.
    if (this.starting !== null) return this.starting.then((started) => ({ runId: started.runId, joined: true }));
    this.starting = this.begin(trigger, traceId).finally(() => { this.starting = null; });
    return this.starting;
  }

  /** The run's report, after waiting up to `waitMs` for it to finish; null for an unknown run. */
  async report(runId: string, waitMs = 0): Promise<RunReport | null> {
    const local = this.active?.runId === runId ? this.active : null;
    const deadline = Date.now() + waitMs;
    if (local !== null && waitMs > 0) await settledWithin(local.done, waitMs);
    let row = await selectRun(this.deps.readPool, runId);
    while (local === null && row?.status === 'running' && Date.now() + limits.reconcileRemotePollMs <= deadline) {
      await sleep(limits.reconcileRemotePollMs);
      row = await selectRun(this.deps.readPool, runId);
    }
    if (row === null) return null;
    const live = this.active?.runId === runId && row.status === 'running' ? Number(Atomics.load(this.active.progress, 0)) : null;
    return buildReport(this.deps.readPool, row, live);
  }

  /** The most recent run of any instance, without its diffs (for the service stats). */
  lastRun(): Promise<RunRow | null> {
    return selectLastRun(this.deps.readPool);
  }

  /** An operator's fix of one diff (counted as a manual attempt). */
  fix(request: FixRequest): Promise<DiffRow> {
    return attemptFix(this.deps.fix, request, 'manual');
  }

  /** An operator's fix of many diffs: one result per id, in their order. */
  fixMany(request: BulkFixRequest): Promise<BulkFixResult[]> {
    return fixDiffs(this.deps.fix, request);
  }

  /** Starts a run every `intervalMs`; a tick while a run is going joins it (starts nothing). */
  startSchedule(intervalMs: number): void {
    this.stopSchedule();
    this.timer = setInterval(() => {
      this.start('schedule').catch((error: unknown) => this.deps.log.error({ err: error }, 'scheduled reconciliation did not start'));
    }, intervalMs);
    this.timer.unref();
  }

  /** Starts no more scheduled runs (a run already going goes on). */
  stopSchedule(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** For GET /health: rejects when the pool is closed or the latest run of this instance failed. */
  async checkWorkers(): Promise<void> {
    if (this.closed) throw new Error('the reconciliation pool is closed');
    if (this.lastFailure !== null) throw new Error(`the last reconciliation run failed: ${this.lastFailure}`);
  }

  /** Stops the schedule, aborts a running run (marked aborted) and ends the worker threads. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopSchedule();
    await this.starting?.catch(() => {});
    const run = this.active;
    if (run !== null) {
      run.abort.abort(errors.shuttingDown());
      await run.done;
    }
    await this.pool.destroy();
  }

  private async begin(trigger: RunTrigger, traceId: string | null): Promise<StartedRun> {
    const { config, readPool } = this.deps;
    for (let step = 0; step < limits.reconcileLockLookupSteps; step += 1) {
      const abort = new AbortController();
      const lock = await tryRunLock(config.database.postgres, (error) => abort.abort(error));
      if (lock !== null) {
        const runId = randomUUID();
        try {
          const abandoned = await closeAbandonedRuns(readPool);
          if (abandoned > 0) this.deps.log.warn({ abandoned }, 'closed reconciliation runs left running by a stopped instance');
          await insertRun(readPool, runId, trigger, this.instance);
        } catch (error) {
          await lock.release();
          throw error;
        }
        this.launch(runId, trigger, lock, abort, traceId);
        return { runId, joined: false };
      }
      const running = await selectRunningRun(readPool);
      if (running !== null) return { runId: running.run_id, joined: true };
      await sleep(limits.reconcileLockLookupStepMs);
    }
    throw errors.overloaded('another instance holds the reconciliation lock but shows no running run');
  }

  private launch(runId: string, trigger: RunTrigger, lock: RunLock, abort: AbortController, traceId: string | null): void {
    const run: ActiveRun = {
      runId, startedAtMs: performance.now(), abort, done: Promise.resolve(),
      progress: new BigInt64Array(new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT)),
    };
    this.active = run;
    this.deps.log.info({ run_id: runId, trigger, ...(traceId === null ? {} : { trace_id: traceId }) }, 'reconciliation run started');
    run.done = this.execute(run).finally(async () => {
      this.active = null;
      await lock.release();
    });
  }

  private async execute(run: ActiveRun): Promise<void> {
    const { log, readPool } = this.deps;
    let summary = summarise([]);
    let outcome: Exclude<RunStatus, 'running'> = 'completed';
    let failure: FailureReason | null = null;
    let autoFixed = 0;
    const ticker = setInterval(() => void this.reportProgress(run), limits.reconcileProgressIntervalMs);
    try {
      summary = summarise(await this.scanAll(run));
      logRunNotes(log, run.runId, summary);
      autoFixed = await failAs('database error', this.autoFix(run.runId));
    } catch (error) {
      outcome = run.abort.signal.aborted ? 'aborted' : 'failed';
      // The run row and the API get the reason; the raw error (pg or ioredis text) only the log.
      failure = outcome === 'aborted' ? abortReason(run.abort.signal.reason) : reasonOf(error);
      if (outcome === 'aborted') log.warn({ err: error, run_id: run.runId, reason: failure }, 'reconciliation run aborted');
      else log.error({ err: error, run_id: run.runId, reason: failure }, 'reconciliation run failed');
    } finally {
      clearInterval(ticker);
    }
    this.lastFailure = outcome === 'failed' ? failure : null;
    const durationMs = performance.now() - run.startedAtMs;
    recordRunMetrics(this.deps.metrics, outcome, durationMs, summary);
    const totals = {
      scannedRows: summary.scannedRows, candidates: summary.candidates, settling: summary.settling, moved: summary.moved,
      diffsFound: summary.diffsFound, alertsRaised: summary.alertsRaisedTotal, autoFixed,
    };
    const finished = await finishRun(readPool, run.runId, outcome, totals, failure)
      .catch((error: unknown) => log.error({ err: error, run_id: run.runId }, 'could not record the end of a reconciliation run'));
    if (finished === null) {
      log.warn({ run_id: run.runId, outcome }, 'the run was closed by another instance (this one had lost its lock); its row keeps that verdict');
    }
    logRunEnd(log, run.runId, outcome, durationMs, summary, autoFixed);
  }

  private async scanAll(run: ActiveRun): Promise<PartitionResult[]> {
    const { config, readPool } = this.deps;
    const span = await failAs('database error', selectActiveIdSpan(readPool));
    if (span === null) return [];
    const spans = splitSpan(span.min, span.max, config.inventory.health_check.workers * limits.reconcilePartitionsPerWorker);
    const settings = scanSettings(config);
    // Stops the other spans once one has failed; `run.abort` is kept for shutdown and a lost lock,
    // so the run's outcome says which of the two happened.
    const stopSpans = new AbortController();
    const signal = AbortSignal.any([run.abort.signal, stopSpans.signal]);
    const tasks = spans.map(async (productSpan) => resultOf(await this.pool.run(
      { runId: run.runId, ...productSpan, settings, progress: run.progress.buffer as SharedArrayBuffer }, { signal })));
    try {
      return await Promise.all(tasks);
    } catch (error) {
      stopSpans.abort(error);
      await Promise.allSettled(tasks);
      throw error;
    }
  }

  private async autoFix(runId: string): Promise<number> {
    const compensation = this.deps.config.inventory.compensation;
    if (!compensation.enable || !compensation.auto_fix) return 0;
    let fixed = 0;
    let afterId = 0;
    // Bounded: every page moves past its last id, over the finite set of this run's diffs.
    for (;;) {
      const ids = await selectFixableDiffIds(this.deps.readPool, runId, compensation.max_fix_amount, afterId, limits.autoFixPageRows);
      for (const diffId of ids) {
        // A refusal or failure is counted and logged by attemptFix; the other diffs go on.
        await attemptFix(this.deps.fix, { diffId, fixType: 'use_db', operator: 'auto_fix', traceId: null }, 'auto')
          .then(() => { fixed += 1; }, () => {});
      }
      if (ids.length < limits.autoFixPageRows) return fixed;
      afterId = ids.at(-1)!;
    }
  }

  private async reportProgress(run: ActiveRun): Promise<void> {
    if (this.progressWriting) return;
    this.progressWriting = true;
    const scannedRows = Number(Atomics.load(run.progress, 0));
    const elapsedMs = performance.now() - run.startedAtMs;
    const rowsPerSecond = Math.round((scannedRows * 1000) / Math.max(elapsedMs, 1));
    this.deps.log.info({ run_id: run.runId, scanned_rows: scannedRows, rows_per_second: rowsPerSecond }, 'reconciliation progress');
    await updateRunProgress(this.deps.readPool, run.runId, scannedRows).catch(() => {});
    this.progressWriting = false;
  }
}

/** A span's answer as a result, or its failure thrown with the worker's reason and raw text. */
function resultOf(outcome: PartitionOutcome): PartitionResult {
  if (outcome.ok) return outcome.result;
  throw new RunFailure(outcome.reason, new Error(outcome.detail));
}

/** `run.abort` is aborted by shutdown (SHUTTING_DOWN) or by the loss of the lock's connection. */
function abortReason(reason: unknown): FailureReason {
  return reasonOf(reason) === 'aborted by shutdown' ? 'aborted by shutdown' : 'run lock lost';
}
