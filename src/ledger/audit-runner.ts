/**
 * Full ledger audits: every product's row and chain checked against its ledger, in piscina worker
 * threads (`audit-worker.ts`), one run at a time across instances (an advisory lock on a
 * connection of its own decides; the others join the running run). Started in the background
 * (POST /api/v1/ledger/audits → 202 with the run id); the report is read from the run's row and
 * its findings.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { Piscina } from 'piscina';
import type { Logger } from 'pino';
import type { Config } from '../config/config-types.js';
import { errors } from '../errors.js';
import * as limits from '../limits.js';
import type { LedgerMetrics } from '../metrics/ledger-metrics.js';
import { trySessionLock, type SessionLock } from '../store/postgres/advisory-lock.js';
import {
  closeAbandonedAuditRuns, finishAuditRun, insertAuditFindings, insertAuditRun, selectAuditFindings, selectAuditRun,
  selectRunningAuditRun, updateAuditProgress, type AuditFindingRow, type AuditRunRow, type AuditTotals,
} from '../store/postgres/audit-run-queries.js';
import { selectProductIdSpan } from '../store/postgres/ledger-queries.js';
import { workerEntry } from '../worker-entry.js';
import type { AuditSpanOutcome, AuditSpanResult, AuditSpanTask, AuditWorkerSetup } from './audit-types.js';

/** Arbitrary constant naming the "ledger audit run" advisory lock (0x1e7e_06xx: the ledger's range). */
const auditLockKey = 0x1e7e_0602;

export interface AuditRunnerDeps {
  config: Config;
  readPool: pg.Pool;
  log: Logger;
  metrics: LedgerMetrics;
}

export interface StartedAudit { runId: string; joined: boolean }

export interface AuditReport extends AuditRunRow {
  duration_ms: number;
  /** The first `limits.auditReportFindingsMax` findings, in product order. */
  findings: AuditFindingRow[];
}

interface ActiveAudit {
  runId: string;
  startedAtMs: number;
  /** BigInt64Array(2) over a SharedArrayBuffer: products and rows audited, added to by the workers. */
  progress: BigInt64Array;
  abort: AbortController;
  done: Promise<void>;
}

export class AuditRunner {
  private readonly pool: Piscina<AuditSpanTask, AuditSpanOutcome>;
  private readonly instance = `${hostname()}:${process.pid}`;
  private active: ActiveAudit | null = null;
  private starting: Promise<StartedAudit> | null = null;
  private closed = false;

  constructor(private readonly deps: AuditRunnerDeps) {
    const entry = workerEntry('audit-worker', import.meta.url);
    const setup: AuditWorkerSetup = { postgres: deps.config.database.postgres };
    this.pool = new Piscina<AuditSpanTask, AuditSpanOutcome>({
      filename: entry.filename,
      execArgv: entry.execArgv,
      workerData: setup,
      // No thread between runs: audits are rare, and an idle thread holds a connection.
      minThreads: 0,
      maxThreads: limits.auditWorkerThreads,
      maxQueue: limits.auditQueueMax,
      idleTimeout: limits.auditWorkerIdleMs,
      concurrentTasksPerWorker: 1,
      resourceLimits: { maxOldGenerationSizeMb: limits.auditWorkerHeapMb, maxYoungGenerationSizeMb: limits.auditWorkerYoungHeapMb },
      closeTimeout: 5_000,
    });
  }

  /** Starts a run, or answers the one already running (here or on another instance). */
  start(): Promise<StartedAudit> {
    if (this.closed) return Promise.reject(errors.shuttingDown());
    if (this.active !== null) return Promise.resolve({ runId: this.active.runId, joined: true });
    if (this.starting !== null) return this.starting.then((started) => ({ runId: started.runId, joined: true }));
    this.starting = this.begin().finally(() => { this.starting = null; });
    return this.starting;
  }

  /** The run's report, live progress included while this instance runs it; null for an unknown run. */
  async report(runId: string): Promise<AuditReport | null> {
    const row = await selectAuditRun(this.deps.readPool, runId);
    if (row === null) return null;
    const active = this.active?.runId === runId && row.status === 'running' ? this.active : null;
    if (active !== null) {
      row.products = Number(Atomics.load(active.progress, 0));
      row.rows_scanned = Number(Atomics.load(active.progress, 1));
    }
    const end = row.finished_at?.getTime() ?? Date.now();
    const findings = await selectAuditFindings(this.deps.readPool, runId, limits.auditReportFindingsMax);
    return { ...row, duration_ms: Math.max(0, end - row.started_at.getTime()), findings };
  }

  /** Aborts a running run (recorded as aborted) and ends the worker threads. */
  async close(): Promise<void> {
    this.closed = true;
    await this.starting?.catch(() => {});
    const run = this.active;
    if (run !== null) {
      run.abort.abort(errors.shuttingDown());
      await run.done;
    }
    await this.pool.destroy();
  }

  private async begin(): Promise<StartedAudit> {
    const { config, readPool } = this.deps;
    for (let step = 0; step < limits.auditLockLookupSteps; step += 1) {
      const abort = new AbortController();
      const lock = await trySessionLock(config.database.postgres, auditLockKey, 'inventory-ledger-audit-lock', (error) => abort.abort(error));
      if (lock !== null) {
        const runId = randomUUID();
        try {
          const abandoned = await closeAbandonedAuditRuns(readPool);
          if (abandoned > 0) this.deps.log.warn({ abandoned }, 'closed ledger audit runs left running by a stopped instance');
          await insertAuditRun(readPool, runId, this.instance);
        } catch (error) {
          await lock.release();
          throw error;
        }
        this.launch(runId, lock, abort);
        return { runId, joined: false };
      }
      const running = await selectRunningAuditRun(readPool);
      if (running !== null) return { runId: running.run_id, joined: true };
      await sleep(limits.auditLockLookupStepMs);
    }
    throw errors.overloaded('another instance holds the ledger audit lock but shows no running run');
  }

  private launch(runId: string, lock: SessionLock, abort: AbortController): void {
    const run: ActiveAudit = {
      runId, startedAtMs: performance.now(), abort, done: Promise.resolve(),
      progress: new BigInt64Array(new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT)),
    };
    this.active = run;
    this.deps.log.info({ run_id: runId }, 'ledger audit run started');
    run.done = this.execute(run).finally(async () => {
      this.active = null;
      await lock.release();
    });
  }

  private async execute(run: ActiveAudit): Promise<void> {
    const { log, metrics, readPool } = this.deps;
    const ticker = setInterval(() => {
      void updateAuditProgress(readPool, run.runId, Number(Atomics.load(run.progress, 0)), Number(Atomics.load(run.progress, 1)))
        .catch(() => {});
    }, limits.auditProgressIntervalMs);
    const totals: AuditTotals = { products: 0, rows: 0, disagreements: 0, findingsKept: 0 };
    let outcome: 'completed' | 'failed' | 'aborted' = 'completed';
    let failure: string | null = null;
    try {
      const results = await this.scanAll(run);
      const findings = results.flatMap((result) => result.findings).slice(0, limits.auditFindingsMax);
      for (const result of results) {
        totals.products += result.products;
        totals.rows += result.rows;
        totals.disagreements += result.disagreements;
      }
      await insertAuditFindings(readPool, run.runId, findings);
      totals.findingsKept = findings.length;
    } catch (error) {
      outcome = run.abort.signal.aborted ? 'aborted' : 'failed';
      // The run row and the API get a reason; the raw error (pg text) only the log.
      failure = outcome === 'aborted' ? 'aborted by shutdown or a lost lock' : 'database error';
      log.error({ err: error, run_id: run.runId }, `ledger audit run ${outcome}`);
    } finally {
      clearInterval(ticker);
    }
    const durationSeconds = (performance.now() - run.startedAtMs) / 1000;
    metrics.auditRuns.inc({ outcome });
    metrics.auditDuration.observe(durationSeconds);
    metrics.auditProducts.inc(totals.products);
    metrics.auditRows.inc(totals.rows);
    metrics.auditDisagreements.inc(totals.disagreements);
    if (outcome === 'completed') metrics.auditLastRunDisagreements.set(totals.disagreements);
    await finishAuditRun(readPool, run.runId, outcome, totals, failure)
      .catch((error: unknown) => log.error({ err: error, run_id: run.runId }, 'could not record the end of a ledger audit run'));
    log.info({ run_id: run.runId, outcome, products: totals.products, rows: totals.rows, disagreements: totals.disagreements,
      duration_s: Math.round(durationSeconds * 1000) / 1000 }, 'ledger audit run ended');
  }

  private async scanAll(run: ActiveAudit): Promise<AuditSpanResult[]> {
    const span = await selectProductIdSpan(this.deps.readPool);
    if (span === null) return [];
    const spans = spansOf(span.min, span.max + 1, limits.auditQueueMax);
    const findingsMax = Math.ceil(limits.auditFindingsMax / spans.length);
    // Stops the other spans once one has failed; `run.abort` is kept for shutdown and a lost lock.
    const stopSpans = new AbortController();
    const signal = AbortSignal.any([run.abort.signal, stopSpans.signal]);
    const tasks = spans.map(async ([fromProductId, toProductId]) => {
      const outcome = await this.pool.run({ fromProductId, toProductId, findingsMax, progress: run.progress.buffer as SharedArrayBuffer }, { signal });
      if (!outcome.ok) throw new Error(`an audit span failed: ${outcome.detail}`);
      return outcome.result;
    });
    try {
      return await Promise.all(tasks);
    } catch (error) {
      stopSpans.abort(error);
      await Promise.allSettled(tasks);
      throw error;
    }
  }
}

/** [from, to) cut into at most `count` spans of about equal width that tile it. */
export function spansOf(from: number, to: number, count: number): [number, number][] {
  const width = Math.max(1, Math.ceil((to - from) / count));
  const spans: [number, number][] = [];
  for (let start = from; start < to; start += width) spans.push([start, Math.min(to, start + width)]);
  return spans;
}
