/**
 * The phases of a flush, one type each, so a reader can follow one batch of operations from the
 * mailbox to its answers:
 *
 *   Pending[] ─group─▶ ProductGroup[] ─load─▶ LoadedProduct[] ─plan─▶ PlannedFlush ─write─▶ Written ─settle─▶ answers
 *
 * - group (`flush-group.ts`): the batch by product, in product order, with the state the actor trusts.
 * - load (`flush-load.ts`): only when some product is not trusted or an op ends a reservation:
 *   BEGIN, then every product of the flush locked and read in product order, with the stored
 *   results of its keys and the reservations its ops end — one round trip.
 * - plan (`flush-plan.ts`, pure): each product's ops judged in arrival order (`stock-plan.ts`),
 *   and the one statement that writes them all (`FlushWrite`).
 * - write (`flush-write.ts`): that statement (and COMMIT after a load) — one round trip.
 * - settle (`flush-settle.ts`): every op answered, replayed, or sent back to the mailbox with a
 *   reason; after a lost connection, `flush-outcome.ts` first learns whether the write landed.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { ChangeResult, StoredResult } from '../../domain/change-result.js';
import type { ProductState } from '../../domain/inventory.js';
import type { ReservationState } from '../../domain/reservation.js';
import type { StockOp } from '../../domain/stock-ops.js';
import type { AppError } from '../../errors.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { FlushOutcomeRows, FlushWrite } from '../../store/postgres/flush-statements.js';
import type { StockEventSettings } from '../../domain/events.js';
import type { CacheWrite } from '../../store/redis/stock-cache.js';
import type { ProductCache } from '../product-cache.js';
import type { ProductPlan } from '../stock-plan.js';
import type { OutcomeDeadline } from './flush-outcome.js';

/** An operation waiting in (or being flushed by) an actor, with its caller's continuation. */
export interface Pending {
  readonly op: StockOp;
  /** Arrival number within the actor: ops sent back go in again in this order. */
  readonly sequence: number;
  /** `performance.now()` when the op entered the engine. */
  readonly enqueuedAtMs: number;
  readonly resolve: (result: ChangeResult) => void;
  readonly reject: (error: Error) => void;
  /** Flushes it was sent back from because of contention; bounded by `limits.flushAttemptsMax`. */
  retries: number;
  /** Flushes it waited out behind an earlier op of its product (a compare-and-set or an update). */
  deferrals: number;
  /** Its key's first result, found stored by an earlier flush: the next plan replays it. */
  stored: StoredResult | null;
}

/** Why ops go back to the mailbox instead of being answered. */
export type RequeueReason =
  /** Another writer moved the product's version: reload it under its row lock and judge again. */
  | 'version_moved'
  /** A key the plan applied turned out to be stored already: judge again, replaying it. */
  | 'stored_key'
  /** The flush's transaction rolled back (a duplicate key from a concurrent instance, a deadlock). */
  | 'rolled_back'
  /** An earlier op of its product must commit first (a compare-and-set or an update precedes it). */
  | 'deferred';

export interface ActorContext {
  readonly shardIndex: number;
  /** Pipelined connections: a round's statements go out together. */
  readonly pool: pg.Pool;
  readonly products: ProductCache;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** How long to keep asking PostgreSQL whether a write landed after its connection died. */
  readonly outcomeDeadline: OutcomeDeadline;
  /** Stock crossings the flush statement writes to the webhook outbox (none without webhooks). */
  readonly stockEvents: StockEventSettings;
  /** Answer a caller and release its place in the queue. */
  settle(pending: Pending, answer: ChangeResult | AppError): void;
  /** Send ops back to be judged in a later flush; the actor bounds how often. */
  requeue(pendings: Pending[], reason: RequeueReason): void;
  /** One Redis call for a committed flush; `answer` runs when it is done or its wait bound passed. */
  afterCommit(writes: CacheWrite[], answer: () => void): void;
}

/** Phase 1: the batch by product. */
export interface ProductGroup {
  readonly productId: number;
  /** In arrival order. */
  readonly pendings: Pending[];
  /**
   * The actor's copy of the product, taken once when the batch is grouped (a later eviction from
   * the bounded cache cannot pull it away mid-flush); undefined when the actor has none.
   */
  readonly cached: ProductState | undefined;
}

/** Phase 2: what the plan is computed from. */
export interface LoadedProduct {
  readonly productId: number;
  readonly pendings: Pending[];
  /** Null: read under lock, and there is no such product. */
  readonly state: ProductState | null;
  /** Read under its row lock in this flush: its refusals and stored keys need no second look. */
  readonly lockedNow: boolean;
  /** First results of its ops' keys known before the write (read under lock, or learned earlier). */
  readonly stored: ReadonlyMap<string, StoredResult>;
  /** The reservations its ops end, as read under the lock. */
  readonly reservations: ReadonlyMap<number, ReservationState>;
}

/** How a product's answers are confirmed by the write. */
export type Confirmation =
  /** Its versioned UPDATE must land (it has entries). */
  | 'update'
  /** Nothing to write, but refusals judged on a cached state: its version is read back. */
  | 'version'
  /** Nothing to confirm: judged under lock, or only replays of stored keys. */
  | 'none';

/** Phase 3: one product's decisions. */
export interface PlannedProduct {
  readonly loaded: LoadedProduct;
  /** Null when the product does not exist. */
  readonly plan: ProductPlan | null;
  readonly confirmation: Confirmation;
}

export interface PlannedFlush {
  readonly products: PlannedProduct[];
  /** The statement; null when nothing needs writing or confirming. */
  readonly write: FlushWrite | null;
  /** A load round opened a transaction: the write ends with COMMIT. */
  readonly inTransaction: boolean;
}

/** Phase 4: what the write round came back with. */
export type Written =
  | { kind: 'committed'; rows: FlushOutcomeRows }
  /** The statement failed and nothing of it applied. */
  | { kind: 'rolled-back'; error: Error }
  /** The connection died after the write was sent: it may or may not have committed. */
  | { kind: 'connection-lost'; error: Error; backendPid: number | null };
