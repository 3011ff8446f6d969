/**
 * Releases reservations whose time has passed. Every `intervalMs` it reads at most `batchMax`
 * pending reservations past their expiry and submits an `expire` op for each to the product's
 * actor. The flush that applies it reads the reservation under the product's row lock, so when
 * two instances sweep the same reservation, one expires it and the other is refused
 * (RESERVATION_NOT_PENDING): never a double release.
 *
 * Lines of order holds are left out of that read: each pass first expires due orders through
 * `orders.expireDue`, every line of an order in one transaction, so an order is never expired in
 * part (docs/orders.md).
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import { assert } from '../assert.js';
import { AppError } from '../errors.js';
import * as limits from '../limits.js';
import type { StockEngine } from '../engine/stock-engine.js';
import type { Metrics } from '../metrics/metrics.js';
import { selectDueReservations } from '../store/postgres/reservation-queries.js';

export interface SweepResult {
  /** Reservations this pass expired. */
  expired: number;
  /** Order holds this pass expired (all lines of each). */
  ordersExpired: number;
  /** Refused: another instance (or a confirm / release) ended them first, or the engine was busy. */
  refused: number;
  /** Due reservations read; equal to the batch bound when more may be waiting. */
  due: number;
}

/** The order side of a pass (`src/orders/order-holds.ts`), named here by what the sweeper needs. */
export interface DueOrderExpirer {
  expireDue(batchMax: number): Promise<{ expired: number; refused: number; due: number }>;
}

export interface ReservationSweeper {
  /** One pass now (tests; the timer calls it too). Passes never overlap. */
  sweepOnce(): Promise<SweepResult>;
  /** Stops the timer and waits for a running pass. */
  stop(): Promise<void>;
}

export interface SweeperOptions {
  pool: pg.Pool;
  engine: StockEngine;
  orders: DueOrderExpirer;
  intervalMs: number;
  batchMax: number;
  metrics: Metrics;
  log: Logger;
}

export function startReservationSweeper(options: SweeperOptions): ReservationSweeper {
  assert(options.intervalMs > 0 && options.batchMax > 0);
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<SweepResult> | null = null;
  let stopped = false;

  const sweepOnce = (): Promise<SweepResult> => (running ??= sweep(options).finally(() => { running = null; }));

  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = null;
      sweepOnce().then(
        // A full batch of expiries means more may be due: go again at once rather than wait.
        (result) => schedule(result.due === options.batchMax && result.expired === result.due ? 0 : options.intervalMs),
        (error: unknown) => {
          options.log.warn({ err: error }, 'reservation sweep failed; retrying after the interval');
          schedule(options.intervalMs);
        },
      );
    }, delayMs);
    timer.unref();
  };
  schedule(options.intervalMs);

  return {
    sweepOnce,
    stop: async () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      await running?.catch(() => {});
    },
  };
}

async function sweep(options: SweeperOptions): Promise<SweepResult> {
  const orders = await options.orders.expireDue(Math.min(options.batchMax, limits.orderSweepBatchMax));
  const single = await sweepReservations(options);
  return { ...single, ordersExpired: orders.expired };
}

async function sweepReservations(options: SweeperOptions): Promise<Omit<SweepResult, 'ordersExpired'>> {
  const due = await selectDueReservations(options.pool, options.batchMax);
  if (due.length === 0) return { expired: 0, refused: 0, due: 0 };
  const traceId = `sweep-${randomUUID()}`;
  const answers = due.map(async (reservation) => {
    await options.engine.submit({
      kind: 'expire', productId: reservation.product_id, reservationId: reservation.id,
      reason: `reservation ${reservation.id} expired`, operator: 'reservation-sweeper', traceId,
    });
  });
  const settled = await Promise.allSettled(answers);
  let expired = 0;
  for (const outcome of settled) {
    if (outcome.status === 'fulfilled') {
      expired += 1;
    } else if (!(outcome.reason instanceof AppError)) {
      options.log.error({ err: outcome.reason }, 'reservation expiry failed');
    }
  }
  options.metrics.reservationsExpired.inc(expired);
  if (expired > 0) options.log.info({ expired, due: due.length, trace_id: traceId }, 'expired reservations released');
  return { expired, refused: due.length - expired, due: due.length };
}
