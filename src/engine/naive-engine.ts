/**
 * The naive engine (`engine.mode: naive`): the design a user writes first, kept only as the
 * benchmark baseline. Each request is its own transaction: one conditional
 * `UPDATE … WHERE product_id = $1 AND stock + $delta >= reserved …`, its log row and (when keyed)
 * its idempotency record, then COMMIT. No actors and no batching, so every request on a hot product
 * waits for the row lock and a commit of its own. It honours the same contract as the batched
 * engine (statuses, max_stock, expected_version, idempotency through the same table, the same
 * errors): a baseline that cut corners would make the comparison worthless. Refusals are judged by
 * the batched engine's own `planProduct` on the locked row, so both engines refuse alike.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { assert, assertNever } from '../assert.js';
import { AppError, databaseFailureOf, errors, isConnectionError, pgErrorCodes } from '../errors.js';
import * as limits from '../limits.js';
import { settledWithin } from '../timeout.js';
import type { Metrics } from '../metrics/metrics.js';
import {
  productStatesOf, selectProductsForUpdate, selectStoredResults, storedResultsOf,
} from '../store/postgres/flush-load-queries.js';
import {
  insertIdempotencyRow, insertLogRow, updateStockIfAllowed, type NaiveUpdatedRow,
} from '../store/postgres/naive-queries.js';
import type { StockCacheWriter } from '../store/redis/stock-cache.js';
import type { StockEngine } from './stock-engine.js';
import { planProduct } from './stock-plan.js';
import { idempotencyKeyOf, type DeltaOp, type StockOp } from '../domain/stock-ops.js';
import type { ChangeResult } from '../domain/change-result.js';
import { storedResultOf } from './flush/flush-answers.js';

export interface NaiveEngineOptions {
  /** Plain (not pipelined) connections: each statement waits for the previous answer, as a user writes it. */
  pool: pg.Pool;
  cacheWriter: StockCacheWriter | null;
  redisWriteWaitMs: number;
  /** Requests inside the engine at once (holding or waiting for a connection); beyond it 503. */
  inFlightMax: number;
  metrics: Metrics;
  log: Logger;
}

export function createNaiveEngine(options: NaiveEngineOptions): StockEngine {
  return new NaiveEngine(options);
}

/** Whether COMMIT went out: a connection lost after it leaves the outcome unknown. */
interface Stage { commitSent: boolean }

class NaiveEngine implements StockEngine {
  private inFlight = 0;
  private closed = false;
  private readonly drainWaiters: (() => void)[] = [];

  constructor(private readonly options: NaiveEngineOptions) {
    assert(Number.isInteger(options.inFlightMax) && options.inFlightMax > 0);
  }

  queueDepths(): number[] {
    return [this.inFlight];
  }

  async drain(): Promise<void> {
    this.closed = true;
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  async submit(op: StockOp): Promise<ChangeResult> {
    if (this.closed) throw errors.shuttingDown();
    // The baseline measures the sync path only; reservations and updates need the batched engine.
    if (op.kind !== 'delta') throw errors.notInNaiveMode(op.kind);
    if (this.inFlight >= this.options.inFlightMax) {
      this.options.metrics.syncRequests.inc({ result: 'overloaded' });
      throw errors.overloaded(`${this.inFlight} requests in flight`);
    }
    this.inFlight += 1;
    const startedMs = performance.now();
    let result = 'internal_error';
    try {
      const answer = await this.applyWithRetries(op);
      result = answer.replayed ? 'replayed' : 'success';
      return answer;
    } catch (error) {
      const appError = error instanceof AppError ? error : this.failureOf(error, op);
      result = appError.code.toLowerCase();
      throw appError;
    } finally {
      this.options.metrics.recordSync(result, (performance.now() - startedMs) / 1000);
      this.inFlight -= 1;
      if (this.inFlight === 0 && this.closed) for (const waiter of this.drainWaiters.splice(0)) waiter();
    }
  }

  private async applyWithRetries(op: DeltaOp): Promise<ChangeResult> {
    for (let attempt = 1; attempt <= limits.flushAttemptsMax; attempt += 1) {
      const answer = await this.attemptOnce(op);
      if (answer === null) continue;
      if (!answer.replayed) await this.writeCache(op, answer);
      return answer;
    }
    throw errors.overloaded('contention on the same product');
  }

  /** One transaction; null when the row changed under the refusal check and the request must go again. */
  private async attemptOnce(op: DeltaOp): Promise<ChangeResult | null> {
    let client: pg.PoolClient;
    try {
      client = await this.options.pool.connect();
    } catch (error) {
      throw isConnectionError(error) ? errors.databaseUnavailable() : error;
    }
    const stage: Stage = { commitSent: false };
    let broken: Error | undefined;
    try {
      return await this.transact(client, op, stage);
    } catch (error) {
      if (isConnectionError(error)) {
        broken = error as Error;
        throw stage.commitSent ? errors.commitOutcomeUnknown() : errors.databaseUnavailable();
      }
      if (!(error instanceof AppError)) await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private async transact(client: pg.PoolClient, op: DeltaOp, stage: Stage): Promise<ChangeResult | null> {
    await client.query('BEGIN');
    const updated = (await client.query<NaiveUpdatedRow>(updateStockIfAllowed(op))).rows[0];
    if (updated === undefined) {
      await client.query('ROLLBACK');
      return this.judgeRefusal(client, op);
    }
    const beforeStock = updated.stock - op.delta;
    assert(updated.available === updated.stock - updated.reserved && updated.available >= 0, 'the naive UPDATE oversold');
    const logId = (await client.query<{ id: number }>(insertLogRow(op, beforeStock))).rows[0]!.id;
    const key = idempotencyKeyOf(op);
    if (key !== null) {
      try {
        await client.query(insertIdempotencyRow(op, key, logId, beforeStock, updated));
      } catch (error) {
        if ((error as { code?: string }).code !== pgErrorCodes.uniqueViolation) throw error;
        // Another request with this key committed first: undo ours and answer with its result.
        await client.query('ROLLBACK');
        return this.judgeRefusal(client, op);
      }
    }
    stage.commitSent = true;
    const commit = await client.query('COMMIT');
    assert(commit.command === 'COMMIT', 'a transaction without errors did not commit');
    return {
      productId: op.productId, delta: op.delta, reservedDelta: 0, beforeStock, afterStock: updated.stock,
      stock: updated.stock, reserved: updated.reserved, available: updated.available, version: updated.version,
      logId, replayed: false, record: null, reservationId: null, reservation: null,
    };
  }

  /**
   * The UPDATE matched no row (or the key was taken): lock the row, read the key's stored result,
   * and let the batched engine's planner say why. A stored result is replayed; a refusal is thrown;
   * "apply" means the row moved between the two statements, so the request goes again.
   */
  private async judgeRefusal(client: pg.PoolClient, op: DeltaOp): Promise<ChangeResult | null> {
    await client.query('BEGIN');
    try {
      const [state] = productStatesOf((await client.query(selectProductsForUpdate([op.productId]))).rows);
      if (state === undefined) throw errors.inventoryNotFound(op.productId);
      const key = idempotencyKeyOf(op);
      const stored = key === null
        ? new Map()
        : storedResultsOf((await client.query(selectStoredResults([{ productId: op.productId, idemKey: key, applies: false }]))).rows)
          .get(op.productId) ?? new Map();
      const decision = planProduct(state, [op], stored).decisions[0]!;
      switch (decision.kind) {
        case 'refuse': throw decision.error;
        case 'replay-stored': return storedResultOf(op, decision.result);
        case 'apply': return null;
        case 'replay-batch':
        case 'defer':
          assert(false, 'a plan of one operation cannot replay or defer behind another');
          break;
        default: assertNever(decision);
      }
      return null;
    } finally {
      await client.query('ROLLBACK');
    }
  }

  /** Redis after commit, as the batched engine does: awaited at most `redisWriteWaitMs`. */
  private async writeCache(op: DeltaOp, answer: ChangeResult): Promise<void> {
    const writer = this.options.cacheWriter;
    if (writer === null) return;
    const seckillIncrement = op.opType === 'add' ? op.delta : 0;
    const write = writer.afterCommit([{ productId: op.productId, available: answer.available, version: answer.version, seckillIncrement }]).catch((error: unknown) => {
      this.options.metrics.redisWriteFailures.inc();
      this.options.log.debug({ err: error, product_id: op.productId, trace_id: op.traceId }, 'redis write after commit failed; reconciliation will repair it');
    });
    await settledWithin(write, this.options.redisWriteWaitMs);
  }

  private failureOf(error: unknown, op: DeltaOp): AppError {
    const failure = databaseFailureOf(error);
    if (failure !== null) return failure;
    this.options.log.error({ err: error, trace_id: op.traceId, product_id: op.productId }, 'naive sync failed');
    return errors.internal();
  }
}
