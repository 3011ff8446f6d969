/**
 * Order holds (issue 12, docs/orders.md): a cart's lines held, confirmed, released or expired
 * together. Each operation is one transaction (`order-transaction.ts`) that takes the order's row
 * lock, then its products' row locks in product order (the engine flush's order), judges every
 * line, and writes all of them in one set-based statement or rolls back.
 *
 * Why this stays exact beside the engine's actors, which cache each product's state: every line
 * bumps its product's version, and an actor's flush UPDATE is guarded by the version it planned
 * from, so a product an order moved is left out of that flush, reloaded and re-planned
 * (docs/engine.md). The Redis value is written after commit through the same version-guarded
 * script the engine uses.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { assert } from '../assert.js';
import { AppError, errors, type OrderLineRefusalView } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import { settledWithin } from '../timeout.js';
import {
  finalStatusOf, orderFingerprint, type OrderFinish, type OrderHold, type OrderLineRequest,
} from '../domain/order-hold.js';
import {
  insertOrderHold, lockLineProducts, lockProducts, orderHoldOf, selectDueOrders, selectOrderHold, selectOrderHoldView,
  selectLineProductsAvailable, writeFinish, writeHold, type Audit, type OrderRow, type ProductAfter, type ProductAvailable,
} from '../store/postgres/order-hold-queries.js';
import { enqueueEvents } from '../store/postgres/outbox-queries.js';
import type { StockCacheWriter } from '../store/redis/stock-cache.js';
import { stockCrossingOf, type OutboxEvent, type StockEventSettings } from '../domain/events.js';
import { confirmRefusal, decideFinish, refusedLines, type LockedProduct } from './order-hold-plan.js';
import { OrderTransactions } from './order-transaction.js';

export interface HoldRequest {
  orderId: string;
  /** Distinct products (the route refuses a product listed twice). */
  lines: readonly OrderLineRequest[];
  ttlSeconds: number;
  audit: Audit;
}

/** A hold as the operation left it; `replayed` when it was already in that state (a retry). */
export interface OrderAnswer {
  hold: OrderHold;
  replayed: boolean;
}

/** What a transaction answers: the hold, and what it wrote (for the Redis write after commit). */
interface Done { written: readonly ProductAvailable[]; hold: OrderAnswer }

export interface SweepOutcome { expired: number; refused: number; due: number }

export interface OrderHoldsOptions {
  pool: pg.Pool;
  cacheWriter: StockCacheWriter | null;
  redisWriteWaitMs: number;
  outcomeResolveMs: number;
  /** Webhook stock events (stock.out, stock.low, stock.back_in_stock), written in the order's transaction. */
  stockEvents: StockEventSettings;
  metrics: Metrics;
  log: Logger;
}

export class OrderHolds {
  private readonly transactions: OrderTransactions;

  constructor(private readonly options: OrderHoldsOptions) {
    this.transactions = new OrderTransactions({ pool: options.pool, outcomeResolveMs: options.outcomeResolveMs });
  }

  /** Holds every line or none; a retry of the same cart answers the hold it made. */
  async hold(request: HoldRequest): Promise<OrderAnswer> {
    const { orderId, lines } = request;
    assert(lines.length > 0 && new Set(lines.map((line) => line.productId)).size === lines.length, 'lines of distinct products');
    const fingerprint = orderFingerprint(lines);
    const answer = await this.counted('hold', () => this.transactions.run<Done>(async (client) => {
      const claimed = await insertOrderHold(client, orderId, fingerprint, lines.length, request.ttlSeconds, request.audit.traceId);
      if (claimed === null) return { commit: false, value: { written: [], hold: await this.replayHold(client, orderId, fingerprint) } };
      const sorted = [...lines].sort((a, b) => a.productId - b.productId);
      const locked = await lockProducts(client, orderId, sorted.map((line) => line.productId));
      const products = new Map<number, LockedProduct>(locked.map((row) => [row.product_id, {
        productId: row.product_id, stock: row.stock, reserved: row.reserved, status: row.status, orderReserved: row.order_reserved,
      }]));
      const refusals = refusedLines(lines, products);
      if (refusals.length > 0) {
        throw errors.orderHoldRefused(orderId, refusals.map((refusal): OrderLineRefusalView => ({
          product_id: refusal.productId, quantity: refusal.quantity, code: refusal.error.code, message: refusal.error.message,
        })));
      }
      const versions = new Map(locked.map((row) => [row.product_id, row.version]));
      const written = await writeHold(client, orderId, sorted.map((line) => ({ ...line, baseVersion: versions.get(line.productId)! })),
        claimed.expires_at, request.audit);
      assert(written.length === lines.length, 'a hold wrote fewer lines than it locked');
      await this.enqueueStockEvents(client, written, 'hold');
      return { commit: true, value: { written, hold: heldAnswer(claimed, written) } };
    }, async (client) => {
      const row = await selectOrderHold(client, orderId, false);
      if (row === null) return null;
      const hold = await this.replayHold(client, orderId, fingerprint);
      return { written: await selectLineProductsAvailable(client, orderId), hold };
    }));
    await this.writeRedis(answer.written);
    return answer.hold;
  }

  /** Confirms, releases or expires every line, or none; a retry of what already happened replays it. */
  async finish(orderId: string, finish: OrderFinish, audit: Audit): Promise<OrderAnswer> {
    const finalStatus = finalStatusOf(finish);
    const answer = await this.counted(finish, () => this.transactions.run<Done>(async (client) => {
      const row = await selectOrderHold(client, orderId, true);
      if (row === null) throw errors.orderNotFound(orderId);
      const decision = decideFinish(orderId, finish, row.status, row.due);
      switch (decision.kind) {
        case 'refuse': throw decision.error;
        case 'replay': return { commit: false, value: { written: [], hold: await viewOf(client, orderId, true) } };
        case 'apply': break;
      }
      if (finish === 'confirm') {
        const refusal = confirmRefusal(await lockLineProducts(client, orderId));
        if (refusal !== null) throw refusal;
      }
      const written = await writeFinish(client, orderId, finalStatus, audit);
      assert(written.orderRows === 1, 'a held order was not moved');
      assert(written.finishedRows === row.line_count && written.products.length === row.line_count,
        'an order finished other than all of its lines');
      await this.enqueueStockEvents(client, written.products, finish);
      const lines = written.products.map((product) => ({
        productId: product.productId, quantity: product.quantity, reservationId: product.reservationId, status: finalStatus,
      }));
      const hold = orderHoldOf({ ...row, status: finalStatus, updated_at: written.committedAt }, lines);
      return { commit: true, value: { written: written.products, hold: { hold, replayed: false } } };
    }, async (client) => {
      const row = await selectOrderHold(client, orderId, false);
      if (row?.status !== finalStatus) return null;
      return { written: await selectLineProductsAvailable(client, orderId), hold: await viewOf(client, orderId, false) };
    }));
    await this.writeRedis(answer.written);
    return answer.hold;
  }

  /** The hold and its lines as they are, or null. */
  get(orderId: string): Promise<OrderHold | null> {
    return this.transactions.read((client) => selectOrderHoldView(client, orderId));
  }

  /** Expires held orders past their expiry, each in its own transaction (all its lines or none). */
  async expireDue(batchMax: number): Promise<SweepOutcome> {
    const due = await selectDueOrders(this.options.pool, batchMax);
    let expired = 0;
    for (const orderId of due) {
      try {
        const answer = await this.finish(orderId, 'expire', { reason: `order ${orderId} hold expired`, operator: 'reservation-sweeper', traceId: null });
        if (!answer.replayed) expired += 1;
      } catch (error) {
        // Another instance expired it, or a confirm or release got there first: nothing to do.
        this.options.log.debug({ err: error, order_id: orderId }, 'order hold not expired');
      }
    }
    return { expired, refused: due.length - expired, due: due.length };
  }

  /** The order id is taken: the same cart replays its hold, another cart is a conflict. */
  private async replayHold(client: pg.ClientBase, orderId: string, fingerprint: string): Promise<OrderAnswer> {
    const row = await selectOrderHold(client, orderId, false);
    assert(row !== null, 'an order id taken by no row');
    if (row.fingerprint !== fingerprint) throw errors.idempotencyConflict(`order_id '${orderId}'`, `the lines ${row.fingerprint}`);
    return viewOf(client, orderId, true);
  }

  /**
   * The stock events of the products the transaction moved, written in it (so they commit with it).
   * A hold lowers available by its line; release and expiry raise it back; a confirm leaves it.
   */
  private async enqueueStockEvents(client: pg.ClientBase, written: readonly ProductAfter[], operation: OrderFinish | 'hold'): Promise<void> {
    const { routes, lowStockThreshold } = this.options.stockEvents;
    if (routes.eventTypes.length === 0) return;
    const sign = operation === 'hold' ? 1 : operation === 'confirm' ? 0 : -1;
    const events: OutboxEvent[] = [];
    for (const product of written) {
      const before = product.available + sign * product.quantity;
      const low = product.minStock > 0 ? product.minStock : lowStockThreshold;
      const type = stockCrossingOf(before, product.available, low);
      if (type === null) continue;
      events.push({ type, productId: product.productId, data: {
        product_id: product.productId, available_before: before, available: product.available, stock: product.stock,
        reserved: product.reserved, version: product.version, low_stock_threshold: low,
      } });
    }
    await enqueueEvents(client, routes, events);
  }

  /** After the commit (or after resolving a lost one): the products' available, version-guarded. */
  private async writeRedis(written: readonly ProductAvailable[]): Promise<void> {
    const writer = this.options.cacheWriter;
    if (writer === null || written.length === 0) return;
    const write = writer.afterCommit(written.map((product) => ({
      productId: product.productId, available: product.available, version: product.version, seckillIncrement: 0,
    }))).catch((error: unknown) => {
      this.options.metrics.redisWriteFailures.inc();
      this.options.log.warn({ err: error }, 'Redis write after an order commit failed; reconciliation repairs it');
    });
    await settledWithin(write, this.options.redisWriteWaitMs);
  }

  private async counted(operation: OrderFinish | 'hold', run: () => Promise<Done>): Promise<Done> {
    try {
      const answer = await run();
      this.options.metrics.orderOperations.inc({ operation, result: answer.hold.replayed ? 'replayed' : 'success' });
      if (operation === 'expire' && !answer.hold.replayed) this.options.metrics.reservationsExpired.inc(answer.hold.hold.lines.length);
      return answer;
    } catch (error) {
      // A refusal (4xx: the order's lines cannot be held, the hold ended…) or a failure: two values,
      // so every series exists from the start; the code itself is in the answer and the log.
      const refused = error instanceof AppError && error.statusCode < 500;
      this.options.metrics.orderOperations.inc({ operation, result: refused ? 'refused' : 'failed' });
      throw error;
    }
  }
}

function heldAnswer(row: OrderRow, written: readonly ProductAfter[]): OrderAnswer {
  const lines = written.map((product) => ({
    productId: product.productId, quantity: product.quantity, reservationId: product.reservationId, status: 'pending' as const,
  }));
  return { hold: orderHoldOf(row, lines), replayed: false };
}

async function viewOf(client: pg.ClientBase, orderId: string, replayed: boolean): Promise<OrderAnswer> {
  const hold = await selectOrderHoldView(client, orderId);
  assert(hold !== null, 'an order row vanished');
  return { hold, replayed };
}
