/**
 * The first round of a flush that needs one: BEGIN, then lock and read every product the actor
 * does not trust, with the stored results of its ops' keys and the reservations its ops end.
 * Ops that end a reservation always take this round, even for a cached product: the reservation's
 * state must be read after the product's row lock is held, and every change of a reservation
 * commits with a version bump of its product, so what is read then is the truth.
 */
import type pg from 'pg';
import { sendTogether } from '../store/postgres/pipeline-writes.js';
import {
  productStateOf, reservationStateOf, selectProductForUpdate, selectReservations, selectStoredResults,
  type ProductRow, type ReservationRow, type StoredResultRow,
} from '../store/postgres/flush-queries.js';
import type { ActorContext, Pending } from './stock-actor-types.js';
import { idempotencyKeyOf, needsLockedLoad, type StockOp } from '../domain/stock-ops.js';
import { type ProductState } from '../domain/inventory.js';
import { type ReservationState } from '../domain/reservation.js';
import { type StoredResult } from '../domain/change-result.js';

/** The part of a product's work this round fills in. */
export interface LoadableWork {
  productId: number;
  pendings: Pending[];
  /**
   * The state this flush plans from: the actor's copy, taken once when the batch is grouped (a
   * later eviction from the bounded cache cannot pull it away mid-flush), or the row read under lock.
   * Undefined: not cached and, once loaded, no such product.
   */
  state: ProductState | undefined;
  /** Loaded under lock in this flush: its refusals need no version check. */
  loadedNow: boolean;
  /** The reservations its ops end, as read under the lock. */
  reservations: Map<number, ReservationState>;
}

export interface Loaded {
  inTransaction: boolean;
  storedResults: Map<number, Map<string, StoredResult>>;
}

interface Reads {
  work: LoadableWork;
  row: Promise<pg.QueryResult>;
  stored: Promise<pg.QueryResult> | null;
  reservations: Promise<pg.QueryResult> | null;
}

/**
 * When any product needs loading, every product of the flush is locked and read in this round, in
 * product order: locking some now and the cached ones later, at their UPDATE, would let two
 * instances take the same rows in opposite orders and deadlock. A flush of trusted products only
 * skips the round.
 */
export async function loadUntrusted(ctx: ActorContext, client: pg.PoolClient, works: LoadableWork[]): Promise<Loaded | Error> {
  const loaded: Loaded = { inTransaction: false, storedResults: new Map() };
  const needsRound = works.some((work) => work.state === undefined || work.pendings.some((pending) => needsLockedLoad(pending.op)));
  if (!needsRound) return loaded;
  const queries: Promise<pg.QueryResult>[] = [];
  const reads = sendTogether(client, () => {
    queries.push(client.query('BEGIN'));
    return works.map((work) => issueReads(client, work, queries));
  });
  const settled = await Promise.allSettled(queries);
  const failure = settled.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    await client.query('ROLLBACK').catch(() => {});
    return (failure as PromiseRejectedResult).reason as Error;
  }
  loaded.inTransaction = true;
  for (const read of reads) await takeReads(ctx, read, loaded);
  return loaded;
}

/** Pipelined in this order: the row lock is taken before the reservations are read. */
function issueReads(client: pg.PoolClient, work: LoadableWork, queries: Promise<pg.QueryResult>[]): Reads {
  const ops = work.pendings.map((pending) => pending.op);
  const keys = ops.map(idempotencyKeyOf).filter((key) => key !== null);
  const reservationIds = [...new Set(ops.flatMap(reservationIdOf))];
  const row = client.query(selectProductForUpdate(work.productId));
  const stored = keys.length > 0 ? client.query(selectStoredResults(work.productId, keys)) : null;
  const reservations = reservationIds.length > 0 ? client.query(selectReservations(work.productId, reservationIds)) : null;
  queries.push(row);
  if (stored !== null) queries.push(stored);
  if (reservations !== null) queries.push(reservations);
  return { work, row, stored, reservations };
}

async function takeReads(ctx: ActorContext, { work, row, stored, reservations }: Reads, loaded: Loaded): Promise<void> {
  work.loadedNow = true;
  const rows = (await row).rows as ProductRow[];
  work.state = rows[0] === undefined ? undefined : productStateOf(rows[0]);
  if (work.state !== undefined) ctx.products.set(work.state);
  else ctx.products.delete(work.productId);
  if (stored !== null) {
    const results = new Map<string, StoredResult>();
    for (const { idem_key, ...result } of (await stored).rows as StoredResultRow[]) results.set(idem_key, result);
    loaded.storedResults.set(work.productId, results);
  }
  work.reservations.clear();
  if (reservations !== null) {
    for (const reservation of (await reservations).rows as ReservationRow[]) {
      work.reservations.set(reservation.id, reservationStateOf(reservation));
    }
  }
}

function reservationIdOf(op: StockOp): number[] {
  return op.kind === 'confirm' || op.kind === 'release' || op.kind === 'expire' ? [op.reservationId] : [];
}
