/**
 * A shard's serial actor. Operations wait in a bounded mailbox; while a flush is in flight the
 * mailbox fills, and the next flush takes everything waiting (up to `flushOpsMax`), so batches grow
 * with load by themselves and a lone request is flushed on the next turn of the event loop rather
 * than after a timer. Only one flush of this actor runs at a time, so two flushes of one product
 * never overlap.
 *
 * A flush that fails for a reason a retry cannot cure ('poisoned') is split: its halves are
 * flushed on their own, before anything else, down to the one op that fails alone, which is
 * answered alone. Its neighbours commit.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { assert, assertNever } from '../assert.js';
import type { ChangeResult } from '../domain/change-result.js';
import type { StockOp } from '../domain/stock-ops.js';
import { AppError, errors, pgErrorCodes } from '../errors.js';
import * as limits from '../limits.js';
import type { Metrics } from '../metrics/metrics.js';
import type { CacheWrite, StockCacheWriter } from '../store/redis/stock-cache.js';
import { runFlush } from './flush/flush.js';
import type { ActorContext, Pending, RequeueReason } from './flush/flush-phases.js';
import type { StockEventSettings } from '../domain/events.js';
import { ProductCache } from './product-cache.js';
import { settledWithin } from '../timeout.js';

export interface ActorOptions {
  shardIndex: number;
  pool: pg.Pool;
  cacheWriter: StockCacheWriter | null;
  /** How long an answer waits for its post-commit Redis write before going out anyway. */
  redisWriteWaitMs: number;
  flushOpsMax: number;
  queueDepthMax: number;
  cachedProductsMax: number;
  /** After a lost connection, how long to ask whether a write landed before answering "unknown". */
  outcomeResolveMs: number;
  stockEvents: StockEventSettings;
  metrics: Metrics;
  log: Logger;
}

/**
 * The answer of the one op a poisoned flush came down to. A reserve whose order already holds a
 * reservation of the product, while its idempotency key is gone (expired), meets the unique index
 * of reservations: a clear conflict. Anything else is a failure we did not foresee.
 */
function refusalOfPoison(op: StockOp, error: Error): AppError {
  const { code, constraint } = error as { code?: string; constraint?: string };
  if (op.kind === 'reserve' && code === pgErrorCodes.uniqueViolation && constraint === 'inventory_reservations_order') {
    return errors.reservationExists(op.productId, op.orderId);
  }
  return errors.operationRejected();
}

export class StockActor {
  private readonly mailbox: Pending[] = [];
  /**
   * Parts of a poisoned batch, each flushed alone and before the mailbox, first part first. Ops a
   * part sends back return to its front, so a product's ops keep their order.
   */
  private readonly isolating: Pending[][] = [];
  /** True while the running flush is one of the isolated parts. */
  private flushingIsolated = false;
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
      outcomeDeadline: { deadlineMs: options.outcomeResolveMs, retryMs: limits.outcomeResolveRetryMs },
      stockEvents: options.stockEvents,
      settle: (pending, answer) => this.settle(pending, answer),
      requeue: (pendings, reason) => this.requeue(pendings, reason),
      afterCommit: (writes, answer) => this.afterCommit(writes, answer),
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
      this.mailbox.push({
        op, sequence: this.sequence++, enqueuedAtMs: performance.now(), resolve, reject, retries: 0, deferrals: 0, stored: null,
      });
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
      while (this.isolating.length > 0 || this.mailbox.length > 0) {
        this.flushingIsolated = this.isolating.length > 0;
        const batch = this.flushingIsolated ? this.isolating.shift()! : this.mailbox.splice(0, this.options.flushOpsMax);
        const startedMs = performance.now();
        this.options.metrics.flushOps.observe(batch.length);
        const end = await runFlush(this.context, batch);
        if (end.kind === 'poisoned') this.isolate(batch, end.error);
        this.options.metrics.flushDuration.observe((performance.now() - startedMs) / 1000);
      }
    } catch (error) {
      // A flush answers every op itself; reaching here is a bug. Crash loudly rather than hang callers.
      this.options.log.fatal({ err: error, shard: this.options.shardIndex }, 'actor loop failed');
      throw error;
    } finally {
      this.flushing = false;
      this.flushingIsolated = false;
    }
    this.wakeDrainWaiters();
  }

  /**
   * Splits a poisoned batch in two, keeping each product's ops in arrival order (whole products
   * to each half while there are several, else the product's ops in two runs), or answers the one
   * op that fails alone. Each split halves a part, so a batch of n ops takes at most 2n flushes.
   */
  private isolate(batch: Pending[], error: Error): void {
    this.options.metrics.flushReplans.inc({ reason: 'isolated' });
    if (batch.length === 1) {
      const { op } = batch[0]!;
      const answer = refusalOfPoison(op, error);
      if (answer.code === 'OPERATION_REJECTED') {
        this.options.log.error({ err: error, shard: this.options.shardIndex, trace_id: op.traceId, product_id: op.productId },
          'an operation fails even alone; answered alone');
      }
      this.settle(batch[0]!, answer);
      return;
    }
    const products = [...new Set(batch.map((pending) => pending.op.productId))];
    let first: Pending[];
    let second: Pending[];
    if (products.length > 1) {
      const firstProducts = new Set(products.slice(0, Math.ceil(products.length / 2)));
      first = batch.filter((pending) => firstProducts.has(pending.op.productId));
      second = batch.filter((pending) => !firstProducts.has(pending.op.productId));
    } else {
      const ordered = [...batch].sort((a, b) => a.sequence - b.sequence);
      first = ordered.slice(0, Math.ceil(ordered.length / 2));
      second = ordered.slice(first.length);
    }
    this.isolating.unshift(first, second);
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

  /**
   * Ops go back to be judged again. Contention (another writer, a rollback) is bounded per op by
   * `limits.flushAttemptsMax`, then answered OVERLOADED; a stored key or a deferral always makes
   * progress (the next plan replays the key; the op ahead commits), so they are asserted, not refused.
   */
  private requeue(pendings: Pending[], reason: RequeueReason): void {
    const again: Pending[] = [];
    for (const pending of pendings) {
      switch (reason) {
        case 'version_moved': case 'rolled_back':
          pending.retries += 1;
          if (pending.retries >= limits.flushAttemptsMax) {
            this.settle(pending, errors.overloaded('contention on the same products'));
            continue;
          }
          break;
        case 'stored_key':
          break;
        case 'deferred':
          pending.deferrals += 1;
          assert(pending.deferrals <= this.options.flushOpsMax, 'an op was deferred more often than ops can precede it');
          break;
        default:
          assertNever(reason);
      }
      again.push(pending);
    }
    if (reason === 'version_moved' || reason === 'stored_key') this.options.metrics.flushReplans.inc({ reason });
    if (again.length === 0) return;
    again.sort((a, b) => a.sequence - b.sequence);
    if (this.flushingIsolated) this.isolating.unshift(again);
    else this.mailbox.unshift(...again);
  }

  private afterCommit(writes: CacheWrite[], answer: () => void): void {
    const writer = this.options.cacheWriter;
    if (writer === null) return answer();
    this.cacheWrites += 1;
    const write = writer.afterCommit(writes).catch((error: unknown) => {
      this.options.metrics.redisWriteFailures.inc();
      this.options.log.debug({ err: error, products: writes.length }, 'redis write after commit failed; reconciliation will repair it');
    }).finally(() => {
      this.cacheWrites -= 1;
      this.wakeDrainWaiters();
    });
    // The answers wait for the write at most `redisWriteWaitMs`; a late write still lands (or fails) after them.
    void settledWithin(write, this.options.redisWriteWaitMs).then(answer);
  }
}
