/**
 * A shard's serial actor. Operations wait in a bounded mailbox; while a flush is in flight the
 * mailbox fills, and the next flush takes everything waiting (up to `flushOpsMax`), so batches grow
 * with load by themselves and a lone request is flushed on the next turn of the event loop rather
 * than after a timer. Only one flush of this actor runs at a time, so two flushes of one product
 * never overlap.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { assert } from '../assert.js';
import { AppError, errors } from '../errors.js';
import * as limits from '../limits.js';
import type { Metrics } from '../metrics/metrics.js';
import type { StockCacheWriter } from '../store/redis/stock-cache.js';
import { ProductCache } from './product-cache.js';
import { flushOnce } from './stock-actor-flush.js';
import type { ActorContext, Pending } from './stock-actor-types.js';
import type { ChangeResult } from '../domain/change-result.js';
import type { StockOp } from '../domain/stock-ops.js';

export interface ActorOptions {
  shardIndex: number;
  pool: pg.Pool;
  cacheWriter: StockCacheWriter | null;
  /** How long an answer waits for its post-commit Redis write before going out anyway. */
  redisWriteWaitMs: number;
  flushOpsMax: number;
  queueDepthMax: number;
  cachedProductsMax: number;
  metrics: Metrics;
  log: Logger;
}

export class StockActor {
  private readonly mailbox: Pending[] = [];
  /** Ops in the mailbox plus ops in the running flush: the quantity `queueDepthMax` bounds. */
  private held = 0;
  /** Post-commit Redis writes still under way (their answers may have gone out at the wait bound). */
  private cacheWrites = 0;
  private sequence = 0;
  private flushing = false;
  private closed = false;
  private readonly drainWaiters: (() => void)[] = [];
  private readonly context: ActorContext;

  constructor(private readonly options: ActorOptions) {
    assert(options.flushOpsMax >= 1 && options.flushOpsMax <= limits.flushOpsMaxLimit);
    assert(options.queueDepthMax >= options.flushOpsMax);
    this.context = {
      shardIndex: options.shardIndex,
      pool: options.pool,
      products: new ProductCache(options.cachedProductsMax),
      metrics: options.metrics,
      log: options.log,
      settle: (pending, answer) => this.settle(pending, answer),
      requeue: (pendings) => this.requeue(pendings),
      afterCommit: (productId, available, version, seckillIncrement, answer) =>
        this.afterCommit(productId, available, version, seckillIncrement, answer),
    };
  }

  get depth(): number {
    return this.held;
  }

  submit(op: StockOp): Promise<ChangeResult> {
    if (this.closed) throw errors.shuttingDown();
    if (this.held >= this.options.queueDepthMax) {
      this.options.metrics.syncRequests.inc({ result: 'overloaded' });
      throw errors.overloaded(`shard ${this.options.shardIndex} holds ${this.held} operations`);
    }
    this.held += 1;
    return new Promise<ChangeResult>((resolve, reject) => {
      this.mailbox.push({ op, sequence: this.sequence++, enqueuedAtMs: performance.now(), resolve, reject });
      this.wake();
    });
  }

  /** Refuses new operations and resolves once every held one is answered and its Redis write done. */
  async drain(): Promise<void> {
    this.closed = true;
    if (this.isIdle()) return;
    await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.held === 0 && !this.flushing && this.cacheWrites === 0;
  }

  private wakeDrainWaiters(): void {
    if (this.isIdle()) for (const waiter of this.drainWaiters.splice(0)) waiter();
  }

  private wake(): void {
    if (this.flushing) return;
    this.flushing = true;
    // setImmediate, not a timer: requests parsed in the same I/O phase join this flush, and a
    // lone request waits for nothing else.
    setImmediate(() => void this.run());
  }

  private async run(): Promise<void> {
    try {
      while (this.mailbox.length > 0) {
        const batch = this.mailbox.splice(0, this.options.flushOpsMax);
        const startedMs = performance.now();
        this.options.metrics.flushOps.observe(batch.length);
        let retry = batch;
        for (let attempt = 1; retry.length > 0; attempt += 1) {
          if (attempt > limits.flushAttemptsMax) {
            for (const pending of retry) this.settle(pending, errors.overloaded('contention on the same products'));
            break;
          }
          retry = await flushOnce(this.context, retry);
        }
        this.options.metrics.flushDuration.observe((performance.now() - startedMs) / 1000);
      }
    } catch (error) {
      // flushOnce answers every op itself; reaching here is a bug. Crash loudly rather than hang callers.
      this.options.log.fatal({ err: error, shard: this.options.shardIndex }, 'actor loop failed');
      throw error;
    } finally {
      this.flushing = false;
    }
    this.wakeDrainWaiters();
  }

  private settle(pending: Pending, answer: ChangeResult | AppError): void {
    this.held -= 1;
    assert(this.held >= 0, 'an op was answered twice');
    const result = answer instanceof AppError ? answer.code.toLowerCase() : answer.replayed ? 'replayed' : 'success';
    this.options.metrics.recordSync(result, (performance.now() - pending.enqueuedAtMs) / 1000);
    if (answer instanceof AppError) pending.reject(answer);
    else pending.resolve(answer);
    this.wakeDrainWaiters();
  }

  private requeue(pendings: Pending[]): void {
    pendings.sort((a, b) => a.sequence - b.sequence);
    this.mailbox.unshift(...pendings);
  }

  private afterCommit(productId: number, available: number, version: number, seckillIncrement: number, answer: () => void): void {
    const writer = this.options.cacheWriter;
    if (writer === null) return answer();
    let answered = false;
    const answerOnce = () => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      answer();
    };
    const timer = setTimeout(answerOnce, this.options.redisWriteWaitMs);
    this.cacheWrites += 1;
    writer.afterCommit(productId, available, version, seckillIncrement).catch((error: unknown) => {
      this.options.metrics.redisWriteFailures.inc();
      this.options.log.debug({ err: error, productId }, 'redis write after commit failed; reconciliation will repair it');
    }).finally(() => {
      this.cacheWrites -= 1;
      answerOnce();
      this.wakeDrainWaiters();
    });
  }
}
