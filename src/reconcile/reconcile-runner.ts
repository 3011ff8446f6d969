/**
 * The health checker's runs: start one (or join the one already going, here or on another
 * instance), scan every span of product ids in the worker pool, apply auto_fix, and keep the run's
 * row and progress up to date. One run at a time per database: the advisory lock decides who runs,
 * and the others answer with the running run's id. The health checker is also the way in to
 * rebuilds of Redis (rebuild-runner.ts, sharing the worker pool), the watch that starts them when
 * Redis comes back empty (redis-fill-watch.ts), the reports of both kinds of run, and fixes.
 */
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
  finishRun, selectLastRun, selectRun, type RunRow, type RunStatus, type RunTrigger,
} from '../store/postgres/reconcile-run-queries.js';
import { selectFixableDiffIds } from '../store/postgres/diff-queries.js';
import type { DiffRow } from '../store/postgres/diff-queries.js';
import type { RedisClient } from '../store/redis/redis-client.js';
import type { StockKeys } from '../store/redis/stock-keys.js';
import type { FixDeps, FixRequest } from './diff-fixes.js';
import { attemptFix } from './fix-attempts.js';
import { fixDiffs, type BulkFixRequest, type BulkFixResult } from './diff-fix-bulk.js';
import type { RunLock } from './reconcile-lock.js';
import { createReconcilePool, runScan, type ReconcilePool } from './reconcile-pool.js';
import { abortReason, failAs, reasonOf, type FailureReason } from './reconcile-failure.js';
import {
  buildReport, logRunEnd, logRunNotes, recordRunMetrics, scanSettings, summarise, type RunReport,
} from './reconcile-report.js';
import type { PartitionResult } from './reconcile-types.js';
import { Rebuilder, type RebuildTrigger } from './rebuild-runner.js';
import { watchRedisFill, type RedisFillWatch } from './redis-fill-watch.js';
import { claimRun, resultOf, runSpans, startProgressTicker, type ActiveRun, type StartedRun } from './run-lifecycle.js';

export interface ReconcilerDeps {
  config: Config;
  readPool: pg.Pool;
  log: Logger;
  metrics: ReconcileMetrics;
  fix: FixDeps;
  /** The service's Redis client and keys: the rebuild's fill marker. */
  redis: RedisClient;
  keys: StockKeys;
}

export type { StartedRun } from './run-lifecycle.js';

export class Reconciler {
  private readonly pool: ReconcilePool;
  private readonly instance = `${hostname()}:${process.pid}`;
  /** Rebuilds of Redis share the worker threads (and their connections) with the runs. */
  private readonly rebuilder: Rebuilder;
  private watch: RedisFillWatch | null = null;
  private active: ActiveRun | null = null;
  private starting: Promise<StartedRun> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private lastFailure: FailureReason | null = null;

  constructor(private readonly deps: ReconcilerDeps) {
    const { config } = deps;
    this.pool = createReconcilePool({ postgres: config.database.postgres, redis: config.redis }, config.inventory.health_check.workers);
    this.rebuilder = new Rebuilder({ ...deps, pool: this.pool }, this.instance);
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

  /** Starts a rebuild of Redis from PostgreSQL, or returns the one already going. */
  rebuild(trigger: RebuildTrigger, traceId: string | null = null): Promise<StartedRun> {
    if (this.closed) return Promise.reject(errors.shuttingDown());
    return this.rebuilder.start(trigger, traceId);
  }

  /**
   * Watches Redis for the loss of the fill marker (a restart that came back empty, a flush) and
   * rebuilds by itself: at once, on every reconnection, and every `limits.redisFillCheckMs`.
   */
  startRedisWatch(): void {
    this.watch ??= watchRedisFill({ ...this.deps, rebuilder: this.rebuilder });
  }

  /** The run's report (a reconciliation run or a rebuild), after waiting up to `waitMs` for it to finish; null for an unknown run. */
  async report(runId: string, waitMs = 0): Promise<RunReport | null> {
    const local = this.active?.runId === runId ? this.active : this.rebuilder.activeRun(runId);
    const deadline = Date.now() + waitMs;
    if (local !== null && waitMs > 0) await settledWithin(local.done, waitMs);
    let row = await selectRun(this.deps.readPool, runId);
    while (local === null && row?.status === 'running' && Date.now() + limits.reconcileRemotePollMs <= deadline) {
      await sleep(limits.reconcileRemotePollMs);
      row = await selectRun(this.deps.readPool, runId);
    }
    if (row === null) return null;
    const live = local !== null && row.status === 'running' ? Number(Atomics.load(local.progress, 0)) : null;
    return buildReport(this.deps.readPool, row, live);
  }

  /** The most recent run of any instance, without its diffs (for the service stats). */
  lastRun(): Promise<RunRow | null> {
    return selectLastRun(this.deps.readPool, 'reconcile');
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
    this.watch?.stop();
    await this.rebuilder.close();
    await this.starting?.catch(() => {});
    const run = this.active;
    if (run !== null) {
      run.abort.abort(errors.shuttingDown());
      await run.done;
    }
    await this.pool.destroy();
  }

  private async begin(trigger: RunTrigger, traceId: string | null): Promise<StartedRun> {
    const claim = await claimRun(this.deps, 'reconcile', trigger, this.instance);
    if (claim.joined) return { runId: claim.runId, joined: true };
    this.launch(claim.run, trigger, claim.lock, traceId);
    return { runId: claim.run.runId, joined: false };
  }

  private launch(run: ActiveRun, trigger: RunTrigger, lock: RunLock, traceId: string | null): void {
    this.active = run;
    this.deps.log.info({ run_id: run.runId, trigger, ...(traceId === null ? {} : { trace_id: traceId }) }, 'reconciliation run started');
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
    const stopTicker = startProgressTicker(this.deps, run, 'reconciliation');
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
      stopTicker();
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

  private scanAll(run: ActiveRun): Promise<PartitionResult[]> {
    const { config } = this.deps;
    const settings = scanSettings(config);
    return runSpans(this.deps, run, config.inventory.health_check.workers * limits.reconcilePartitionsPerWorker, async (span, signal) =>
      resultOf(await runScan(this.pool, { runId: run.runId, ...span, settings, progress: run.progress.buffer as SharedArrayBuffer }, signal)));
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
}
