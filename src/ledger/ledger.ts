/**
 * The ledger: what the service keeps of its history and what it answers from it. Built once per
 * app by the composition root; routes reach it as `app.ledger`.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/config-types.js';
import type { StockEngine } from '../engine/stock-engine.js';
import { createLedgerMetrics, type LedgerMetrics } from '../metrics/ledger-metrics.js';
import { selectPartitionHorizonSeconds } from '../store/postgres/partition-queries.js';
import { AuditRunner } from './audit-runner.js';
import { auditProduct } from './ledger-audit.js';
import type { AuditVerdict } from './ledger-fold.js';
import { LedgerMaintenance } from './ledger-maintenance.js';
import { restoreStock, type RestoreRequest, type RestoreResult } from './ledger-restore.js';
import { ledgerStateAt, type LedgerPoint, type LedgerState } from './ledger-state.js';

export interface LedgerDeps {
  config: Config;
  readPool: pg.Pool;
  engine: StockEngine;
  log: Logger;
  registry: Registry;
}

export class Ledger {
  readonly metrics: LedgerMetrics;
  /** Partitions ahead, history cuts with checkpoints, idempotency expiry; scheduled by `start`. */
  readonly maintenance: LedgerMaintenance;
  /** Full audit runs in worker threads. */
  readonly audits: AuditRunner;

  constructor(private readonly deps: LedgerDeps) {
    this.metrics = createLedgerMetrics(deps.registry, () => selectPartitionHorizonSeconds(deps.readPool));
    this.maintenance = new LedgerMaintenance({ config: deps.config, log: deps.log, metrics: this.metrics });
    this.audits = new AuditRunner({ config: deps.config, readPool: deps.readPool, log: deps.log, metrics: this.metrics });
  }

  start(): void {
    this.maintenance.start();
  }

  /** Whether the product's row and chain agree with its ledger. */
  async audit(productId: number): Promise<AuditVerdict> {
    const verdict = await auditProduct(this.deps.readPool, productId);
    this.metrics.productAudits.inc({ verdict: verdict.agrees ? 'agrees' : 'disagrees' });
    return verdict;
  }

  /** The product's stock, reserved and available at a point of its retained history. */
  async stateAt(productId: number, point: LedgerPoint): Promise<LedgerState> {
    return (await ledgerStateAt(this.deps.readPool, productId, point)).state;
  }

  /** Stock set back to its ledger value at a point, by one compensating `fix` entry through the engine. */
  restore(request: RestoreRequest): Promise<RestoreResult> {
    return restoreStock({ readPool: this.deps.readPool, engine: this.deps.engine }, request);
  }

  async close(): Promise<void> {
    await Promise.all([this.maintenance.close(), this.audits.close()]);
  }
}
