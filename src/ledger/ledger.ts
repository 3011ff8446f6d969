/**
 * The ledger: what the service keeps of its history and what it answers from it. Built once per
 * app by the composition root; routes reach it as `services.ledger`.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/config-types.js';
import { createLedgerMetrics, type LedgerMetrics } from '../metrics/ledger-metrics.js';
import { selectPartitionHorizonSeconds } from '../store/postgres/partition-queries.js';
import { LedgerMaintenance } from './ledger-maintenance.js';

export interface LedgerDeps {
  config: Config;
  readPool: pg.Pool;
  log: Logger;
  registry: Registry;
}

export class Ledger {
  readonly metrics: LedgerMetrics;
  /** Partitions ahead, history cuts with checkpoints, idempotency expiry; scheduled by `start`. */
  readonly maintenance: LedgerMaintenance;

  constructor(deps: LedgerDeps) {
    this.metrics = createLedgerMetrics(deps.registry, () => selectPartitionHorizonSeconds(deps.readPool));
    this.maintenance = new LedgerMaintenance({ config: deps.config, log: deps.log, metrics: this.metrics });
  }

  start(): void {
    this.maintenance.start();
  }

  async close(): Promise<void> {
    await this.maintenance.close();
  }
}
