/** What a flush needs from its actor, kept narrow so the flush can be read on its own. */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { AppError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ProductCache } from './product-cache.js';
import type { ChangeResult } from '../domain/change-result.js';
import type { StockOp } from '../domain/stock-ops.js';

/** An operation waiting in (or being flushed by) an actor, with its caller's continuation. */
export interface Pending {
  readonly op: StockOp;
  /** Arrival number within the actor: requeued ops go back in this order. */
  readonly sequence: number;
  /** `performance.now()` when the op entered the engine. */
  readonly enqueuedAtMs: number;
  readonly resolve: (result: ChangeResult) => void;
  readonly reject: (error: Error) => void;
}

export interface ActorContext {
  readonly shardIndex: number;
  /** Pipelined connections: a flush's statements go out together. */
  readonly pool: pg.Pool;
  readonly products: ProductCache;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Answer a caller and release its place in the queue. */
  settle(pending: Pending, answer: ChangeResult | AppError): void;
  /** Put ops back at the front of the mailbox, to be judged in the next flush. */
  requeue(pendings: Pending[]): void;
  /** Start the post-commit cache write; `answer` runs when it is done or its wait bound passed. */
  afterCommit(productId: number, available: number, version: number, seckillIncrement: number, answer: () => void): void;
}
