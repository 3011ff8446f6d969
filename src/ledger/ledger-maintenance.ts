/**
 * The ledger's maintenance cycle, run by every instance on a schedule (`history.maintenance_interval`)
 * and by one at a time: a session-level advisory lock on a connection of its own decides, and an
 * instance that does not get it skips the cycle. A cycle creates `inventory_logs` partitions
 * ahead, cuts partitions past `history.retention_days` (checkpoints first) and expires idempotency
 * records past `idempotency.retention_hours`, each in bounded steps with a lock timeout, so the hot
 * path never queues behind it. Ending the connection releases the lock, whatever happened.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config/config-types.js';
import * as limits from '../limits.js';
import type { LedgerMetrics, MaintenanceTask } from '../metrics/ledger-metrics.js';
import { connectionOptions, databaseName } from '../store/postgres/pool.js';
import { installPgTypeParsers } from '../store/postgres/pg-types.js';
import { deleteExpiredKeys } from '../store/postgres/idempotency-expiry-queries.js';
import {
  beginCut, selectUnfinishedCuts, setCutStatus, writeCheckpoints, type CutRow,
} from '../store/postgres/checkpoint-queries.js';
import {
  createLogPartition, detachLogPartition, dropDetachedTable, selectLogPartitions, type AttachedPartition,
} from '../store/postgres/partition-queries.js';
import { assertNever } from '../assert.js';
import { partitionsPastRetention, partitionsToCreate } from './partition-plan.js';

/** Arbitrary constant naming the "ledger maintenance" advisory lock (0x1e7e_06xx: the ledger's range). */
const maintenanceLockKey = 0x1e7e_0601;

export interface MaintenanceDeps {
  config: Config;
  log: Logger;
  metrics: LedgerMetrics;
}

export interface MaintenanceOptions {
  /** The clock of the cycle; the database's now() unless a test moves it. */
  now?: Date;
}

export interface MaintenanceReport {
  now: Date;
  partitionsCreated: string[];
  /** Partitions cut: every product with rows in them got its checkpoint, then they were dropped. */
  partitionsDropped: string[];
  /** Checkpoints written or moved forward by those cuts. */
  checkpointsWritten: number;
  /** Idempotency records deleted: created before `now` − `idempotency.retention_hours`. */
  keysExpired: number;
  /** Tasks that failed, with the error's text; the other tasks of the cycle still ran. */
  failures: { task: MaintenanceTask; message: string }[];
}

export class LedgerMaintenance {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<MaintenanceReport | null> = Promise.resolve(null);
  private closed = false;

  constructor(private readonly deps: MaintenanceDeps) {}

  /** One cycle, after any cycle of this instance still going; null when another instance holds the lock. */
  runOnce(options: MaintenanceOptions = {}): Promise<MaintenanceReport | null> {
    const next = this.running.catch(() => null).then(() => this.cycle(options));
    this.running = next;
    return next;
  }

  /** A first cycle now (partitions ahead before the first day ends), then one every interval. */
  start(): void {
    const intervalMs = this.deps.config.durations_ms.history_maintenance_interval;
    const tick = () => {
      if (this.closed) return;
      this.runOnce().catch((error: unknown) => this.deps.log.error({ err: error }, 'ledger maintenance cycle failed'));
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  /** Stops the schedule and waits for a cycle still going (its loops stop at their next step). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running.catch(() => {});
  }

  private async cycle(options: MaintenanceOptions): Promise<MaintenanceReport | null> {
    if (this.closed) return null;
    const { metrics, log } = this.deps;
    let report: MaintenanceReport | null;
    try {
      report = await this.underLock(options);
    } catch (error) {
      metrics.maintenanceRuns.inc({ outcome: 'failed' });
      throw error;
    }
    metrics.maintenanceRuns.inc({ outcome: report === null ? 'skipped' : report.failures.length === 0 ? 'completed' : 'failed' });
    if (report !== null && (report.partitionsCreated.length > 0 || report.partitionsDropped.length > 0 || report.keysExpired > 0)) {
      log.info({
        partitions_created: report.partitionsCreated, partitions_dropped: report.partitionsDropped,
        checkpoints_written: report.checkpointsWritten, keys_expired: report.keysExpired,
      }, 'ledger maintenance cycle');
    }
    return report;
  }

  /** The cycle's tasks, on a connection of its own holding the lock; null when another instance holds it. */
  private async underLock(options: MaintenanceOptions): Promise<MaintenanceReport | null> {
    const client = await this.connect();
    try {
      const locked = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [maintenanceLockKey]);
      if (!locked.rows[0]!.locked) return null;
      const now = options.now ?? (await client.query<{ now: Date }>('SELECT now() AS now')).rows[0]!.now;
      const report: MaintenanceReport = {
        now, partitionsCreated: [], partitionsDropped: [], checkpointsWritten: 0, keysExpired: 0, failures: [],
      };
      await this.task('create', report, () => this.createAhead(client, report));
      await this.task('cut', report, () => this.cutExpired(client, report));
      await this.task('expire', report, () => this.expireKeys(client, report));
      return report;
    } finally {
      // Ending the session releases the advisory lock even if the unlock could not be sent.
      await client.end().catch(() => {});
    }
  }

  /** Runs one task, timing it; a failure is logged and recorded, and the cycle goes on. */
  private async task(task: MaintenanceTask, report: MaintenanceReport, work: () => Promise<void>): Promise<void> {
    const stopTimer = this.deps.metrics.maintenanceTaskDuration.startTimer({ task });
    try {
      await work();
    } catch (error) {
      report.failures.push({ task, message: (error as Error).message });
      this.deps.log.error({ err: error, task }, 'ledger maintenance task failed; the next cycle retries it');
    } finally {
      stopTimer();
    }
  }

  private async createAhead(client: pg.Client, report: MaintenanceReport): Promise<void> {
    const existing = await selectLogPartitions(client);
    for (const range of partitionsToCreate(existing, report.now, this.deps.config.history.partition_interval)) {
      if (this.closed) return;
      await createLogPartition(client, range);
      report.partitionsCreated.push(range.name);
      this.deps.metrics.partitionsCreated.inc();
    }
  }

  /**
   * Cuts interrupted earlier are finished first (whatever the retention says now: their
   * checkpoints may have moved already), then partitions wholly past `history.retention_days`,
   * oldest first, at most `limits.partitionsCutPerCycleMax` per cycle.
   */
  private async cutExpired(client: pg.Client, report: MaintenanceReport): Promise<void> {
    const attached = new Map((await selectLogPartitions(client)).map((partition) => [partition.name, partition]));
    const unfinished = await selectUnfinishedCuts(client);
    const started = new Set(unfinished.map((cut) => cut.partition_name));
    const expired = partitionsPastRetention([...attached.values()], report.now, this.deps.config.history.retention_days)
      .filter((partition) => !started.has(partition.name));
    const queue: CutRow[] = [...unfinished];
    for (const partition of expired) queue.push(await beginCut(client, partition));
    for (const cut of queue.slice(0, limits.partitionsCutPerCycleMax)) {
      if (this.closed) return;
      await this.cut(client, cut, attached.get(cut.partition_name) ?? null, report);
    }
  }

  /** One cut, from the step it stopped at: checkpoints, then detach, then drop. */
  private async cut(client: pg.Client, cut: CutRow, attached: AttachedPartition | null, report: MaintenanceReport): Promise<void> {
    const name = cut.partition_name;
    switch (cut.status) {
      case 'checkpointing': {
        if (attached === null) throw new Error(`partition ${name} is to be cut but is not attached to inventory_logs`);
        const counts = await this.checkpointAll(client, attached, report);
        if (counts === null) return;
        await setCutStatus(client, name, 'detaching', counts);
        await this.detachAndDrop(client, name, attached, report);
        return;
      }
      case 'detaching':
        await this.detachAndDrop(client, name, attached, report);
        return;
      case 'dropped':
        return;
      default:
        assertNever(cut.status);
    }
  }

  /** Checkpoints for every product with rows in the partition, in product batches; null when closed midway. */
  private async checkpointAll(
    client: pg.Client, partition: AttachedPartition, report: MaintenanceReport,
  ): Promise<{ products: number; checkpoints: number } | null> {
    const counts = { products: 0, checkpoints: 0 };
    let afterProductId = 0;
    // Bounded: each batch moves past its last product, over the finite products of a past partition.
    for (;;) {
      if (this.closed) return null;
      const batch = await writeCheckpoints(client, partition, afterProductId, limits.checkpointBatchProducts, limits.logCommitLagMaxMs);
      counts.products += batch.products;
      counts.checkpoints += batch.written;
      report.checkpointsWritten += batch.written;
      this.deps.metrics.checkpointsWritten.inc(batch.written);
      if (batch.lastProductId === null || batch.products < limits.checkpointBatchProducts) return counts;
      afterProductId = batch.lastProductId;
    }
  }

  /**
   * DETACH … CONCURRENTLY (or FINALIZE, when an earlier one was interrupted) waits for queries
   * still reading the partition without blocking new ones; only the table this detached is dropped.
   */
  private async detachAndDrop(client: pg.Client, name: string, attached: AttachedPartition | null, report: MaintenanceReport): Promise<void> {
    if (attached !== null) await detachLogPartition(client, attached);
    await dropDetachedTable(client, name);
    await setCutStatus(client, name, 'dropped');
    report.partitionsDropped.push(name);
    this.deps.metrics.partitionsDropped.inc();
  }

  /**
   * Deletes records older than the retention in batches, each its own short transaction, with a
   * pause between them; bounded per cycle (the rest waits for the next). The retention is at least
   * `limits.idempotencyRetryWindowHours` (config schema), so no key younger than the retry window
   * we promise is ever deleted.
   */
  private async expireKeys(client: pg.Client, report: MaintenanceReport): Promise<void> {
    const cutoff = new Date(report.now.getTime() - this.deps.config.idempotency.retention_hours * 3_600_000);
    for (let batch = 0; batch < limits.idempotencyExpireBatchesPerCycle && !this.closed; batch += 1) {
      const deleted = await deleteExpiredKeys(client, cutoff, limits.idempotencyExpireBatchRows);
      report.keysExpired += deleted;
      this.deps.metrics.idempotencyKeysExpired.inc(deleted);
      if (deleted < limits.idempotencyExpireBatchRows) return;
      await sleep(limits.idempotencyExpirePauseMs);
    }
  }

  private async connect(): Promise<pg.Client> {
    installPgTypeParsers();
    const postgres = this.deps.config.database.postgres;
    const client = new pg.Client({
      ...connectionOptions(postgres, databaseName(postgres)),
      connectionTimeoutMillis: postgres.connect_timeout_ms,
      statement_timeout: limits.maintenanceStatementTimeoutMs,
      lock_timeout: limits.maintenanceLockTimeoutMs,
      application_name: 'inventory-ledger-maintenance',
    });
    // An idle connection's error surfaces on its next query; without a listener it would crash the process.
    client.on('error', () => {});
    await client.connect();
    return client;
  }
}
