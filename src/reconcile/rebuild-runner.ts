/**
 * Rebuilds of Redis from PostgreSQL: every active product's `available` and version written with
 * the service's version-guarded script, streamed span by span in the health checker's worker
 * threads. One rebuild at a time across instances (its own advisory lock and run row, kind
 * `rebuild`); a caller while one goes joins it.
 *
 * The fill marker: a rebuild sets it (to its run id) before it writes anything, so a Redis emptied
 * at any later moment has lost it with the keys, and the watcher (redis-fill-watch.ts) starts the
 * next rebuild. A rebuild that fails removes it again, so the watcher retries.
 * Its end (any outcome) is announced as `rebuild.finished` through the webhook outbox, written by
 * the statement that records the end.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config/config-types.js';
import { assert } from '../assert.js';
import { eventRoutesOf, routesFor } from '../domain/events.js';
import { errors } from '../errors.js';
import * as limits from '../limits.js';
import type { ReconcileMetrics } from '../metrics/reconcile-metrics.js';
import { finishRebuildRun, type RebuildTotals, type RunStatus } from '../store/postgres/reconcile-run-queries.js';
import type { RedisClient } from '../store/redis/redis-client.js';
import type { StockKeys } from '../store/redis/stock-keys.js';
import { abortReason, failAs, reasonOf, type FailureReason } from './reconcile-failure.js';
import type { RunLock } from './reconcile-lock.js';
import { runRebuild, type ReconcilePool } from './reconcile-pool.js';
import { claimRun, resultOf, runSpans, startProgressTicker, type ActiveRun, type StartedRun } from './run-lifecycle.js';

export type RebuildTrigger = 'manual' | 'redis_empty';

export interface RebuilderDeps {
  config: Config;
  readPool: pg.Pool;
  log: Logger;
  metrics: ReconcileMetrics;
  pool: ReconcilePool;
  redis: RedisClient;
  keys: StockKeys;
}

export class Rebuilder {
  private active: ActiveRun | null = null;
  private starting: Promise<StartedRun> | null = null;
  private closed = false;
  /** How this instance's latest rebuild ended. */
  private last: { runId: string; outcome: Exclude<RunStatus, 'running'> } | null = null;

  constructor(private readonly deps: RebuilderDeps, private readonly instance: string) {}

  /**
   * Starts a rebuild, or returns the one already going (here or on another instance). `traceId`:
   * the request that asked for it, named in the rebuild's first log line.
   */
  start(trigger: RebuildTrigger, traceId: string | null = null): Promise<StartedRun> {
    if (this.closed) return Promise.reject(errors.shuttingDown());
    if (this.active !== null) return Promise.resolve({ runId: this.active.runId, joined: true });
    if (this.starting !== null) return this.starting.then((started) => ({ runId: started.runId, joined: true }));
    this.starting = this.begin(trigger, traceId).finally(() => { this.starting = null; });
    return this.starting;
  }

  /** The rebuild this instance is running under that id, if any. */
  activeRun(runId: string): ActiveRun | null {
    return this.active?.runId === runId ? this.active : null;
  }

  /** Waits for this instance's rebuild `runId` to end; true when it did not complete. */
  async waitFailed(runId: string): Promise<boolean> {
    await this.activeRun(runId)?.done;
    return this.last?.runId === runId && this.last.outcome !== 'completed';
  }

  isRunning(): boolean {
    return this.active !== null || this.starting !== null;
  }

  /** Aborts a running rebuild (recorded as aborted); starts no more. */
  async close(): Promise<void> {
    this.closed = true;
    await this.starting?.catch(() => {});
    const run = this.active;
    if (run !== null) {
      run.abort.abort(errors.shuttingDown());
      await run.done;
    }
  }

  private async begin(trigger: RebuildTrigger, traceId: string | null): Promise<StartedRun> {
    const claim = await claimRun(this.deps, 'rebuild', trigger, this.instance);
    if (claim.joined) return { runId: claim.runId, joined: true };
    this.launch(claim.run, trigger, claim.lock, traceId);
    return { runId: claim.run.runId, joined: false };
  }

  private launch(run: ActiveRun, trigger: RebuildTrigger, lock: RunLock, traceId: string | null): void {
    this.active = run;
    this.deps.log.info({ run_id: run.runId, trigger, mode: this.deps.config.redis.mode, ...(traceId === null ? {} : { trace_id: traceId }) },
      'rebuild of Redis from PostgreSQL started');
    run.done = this.execute(run, trigger).finally(async () => {
      this.active = null;
      await lock.release();
    });
  }

  private async execute(run: ActiveRun, trigger: RebuildTrigger): Promise<void> {
    const { log, metrics, readPool, redis, keys } = this.deps;
    let totals: RebuildTotals = { scannedRows: 0, keysWritten: 0, keysSkipped: 0 };
    let outcome: Exclude<RunStatus, 'running'> = 'completed';
    let failure: FailureReason | null = null;
    const stopTicker = startProgressTicker(this.deps, run, 'rebuild');
    try {
      await failAs('redis unreachable', redis.set(keys.filledMarker, run.runId));
      totals = await this.writeAll(run);
    } catch (error) {
      outcome = run.abort.signal.aborted ? 'aborted' : 'failed';
      failure = outcome === 'aborted' ? abortReason(run.abort.signal.reason) : reasonOf(error);
      // Shutdown and a lost lock are expected ways for a rebuild to stop; anything else is an error.
      if (outcome === 'aborted') log.warn({ err: error, run_id: run.runId, reason: failure }, 'rebuild of Redis aborted');
      else log.error({ err: error, run_id: run.runId, reason: failure }, 'rebuild of Redis failed');
      // Without the marker the watcher starts another rebuild; Redis may be down now, so best effort.
      await redis.del(keys.filledMarker).catch(() => {});
    } finally {
      stopTicker();
    }
    this.last = { runId: run.runId, outcome };
    const durationMs = performance.now() - run.startedAtMs;
    metrics.rebuilds.inc({ trigger, outcome });
    metrics.rebuildKeys.inc({ result: 'written' }, totals.keysWritten);
    metrics.rebuildKeys.inc({ result: 'skipped' }, totals.keysSkipped);
    metrics.lastRebuildDuration.set(durationMs / 1000);
    const routes = routesFor(eventRoutesOf(this.deps.config.notifications.webhooks), ['rebuild.finished']);
    await finishRebuildRun(readPool, run.runId, outcome, totals, failure, routes)
      .catch((error: unknown) => log.error({ err: error, run_id: run.runId }, 'could not record the end of a rebuild'));
    const rowsPerSecond = Math.round((totals.scannedRows * 1000) / Math.max(durationMs, 1));
    log.info({
      run_id: run.runId, trigger, outcome, duration_ms: Math.round(durationMs), rows: totals.scannedRows, rows_per_second: rowsPerSecond,
      keys_written: totals.keysWritten, keys_skipped: totals.keysSkipped,
    }, 'rebuild of Redis finished');
  }

  private async writeAll(run: ActiveRun): Promise<RebuildTotals> {
    const { config, pool } = this.deps;
    const workers = config.inventory.health_check.workers;
    const results = await runSpans(this.deps, run, workers * limits.reconcilePartitionsPerWorker, async (span, signal) =>
      resultOf(await runRebuild(pool, {
        runId: run.runId, ...span, chunkRows: config.inventory.health_check.chunk_rows, scriptRows: limits.rebuildScriptRowsMax,
        progress: run.progress.buffer as SharedArrayBuffer,
      }, signal)));
    const totals: RebuildTotals = { scannedRows: 0, keysWritten: 0, keysSkipped: 0 };
    for (const result of results) {
      totals.scannedRows += result.scannedRows;
      totals.keysWritten += result.keysWritten;
    }
    totals.keysSkipped = totals.scannedRows - totals.keysWritten;
    assert(totals.keysSkipped >= 0);
    return totals;
  }
}
