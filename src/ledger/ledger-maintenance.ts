/**
 * The ledger's maintenance cycle, run by every instance on a schedule (`history.maintenance_interval`)
 * and by one at a time: a session-level advisory lock on a connection of its own decides, and an
 * instance that does not get it skips the cycle. A cycle creates `inventory_logs` partitions
 * ahead, cuts partitions past `history.retention_days` (checkpoints first) and expires idempotency
 * records past `idempotency.retention_hours`, each in bounded steps with a lock timeout, so the hot
 * path never queues behind it. Ending the connection releases the lock, whatever happened.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../config/config-types.js';
import { durationMs } from '../config/load-config.js';
import * as limits from '../limits.js';
import type { LedgerMetrics, MaintenanceTask } from '../metrics/ledger-metrics.js';
import { connectionOptions, databaseName } from '../store/postgres/pool.js';
import { installPgTypeParsers } from '../store/postgres/pg-types.js';
import { createLogPartition, selectLogPartitions } from '../store/postgres/partition-queries.js';
import { partitionsToCreate } from './partition-plan.js';

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
    const intervalMs = durationMs(this.deps.config.history.maintenance_interval, 'history.maintenance_interval');
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
    if (report !== null && report.partitionsCreated.length > 0) {
      log.info({ partitions_created: report.partitionsCreated }, 'ledger maintenance created log partitions');
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
      const report: MaintenanceReport = { now, partitionsCreated: [], failures: [] };
      await this.task('create', report, () => this.createAhead(client, report));
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
