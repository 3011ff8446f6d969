/**
 * Phase 2 of a flush. A flush of trusted products (the actor holds their state) skips the round.
 * Otherwise — a product the actor does not hold, or an op that ends a reservation, whose state
 * must be read after the product's row lock is held — it opens a transaction and, in one round
 * trip, locks and reads EVERY product of the flush in product order, the stored results of its
 * keys and the reservations its ops end. Locking only the untrusted ones now and the others at
 * the write would let two instances take the same rows in opposite orders and deadlock.
 */
import type pg from 'pg';
import type { StoredResult } from '../../domain/change-result.js';
import type { ReservationState } from '../../domain/reservation.js';
import { idempotencyKeyOf, needsLockedLoad } from '../../domain/stock-ops.js';
import {
  productStatesOf, reservationStatesOf, selectProductsForUpdate, selectReservations, selectStoredResults,
  storedResultsOf, type KeyLookup, type ReservationLookup,
} from '../../store/postgres/flush-load-queries.js';
import { sendTogether } from '../../store/postgres/pg-internals.js';
import type { ProductCache } from '../product-cache.js';
import type { LoadedProduct, Pending, ProductGroup } from './flush-phases.js';

export interface Loaded {
  readonly products: LoadedProduct[];
  /** The round ran: a transaction is open and holds every product's row lock. */
  readonly inTransaction: boolean;
}

const noReservations: ReadonlyMap<number, ReservationState> = new Map();

export function needsLoadRound(groups: readonly ProductGroup[]): boolean {
  return groups.some((group) => group.cached === undefined || group.pendings.some((pending) => needsLockedLoad(pending.op)));
}

/** The trusted state as it is, with the first results earlier flushes found for these ops' keys. */
export function fromCache(groups: readonly ProductGroup[]): Loaded {
  return {
    inTransaction: false,
    products: groups.map((group) => ({
      productId: group.productId, pendings: group.pendings, state: group.cached!, lockedNow: false,
      stored: learnedResults(group.pendings, undefined), reservations: noReservations,
    })),
  };
}

/** The round; an Error when a statement failed (the transaction is then rolled back or the connection gone). */
export async function loadLocked(client: pg.PoolClient, groups: readonly ProductGroup[], cache: ProductCache): Promise<Loaded | Error> {
  const keys: KeyLookup[] = [];
  const reservations: ReservationLookup[] = [];
  for (const group of groups) {
    for (const { op } of group.pendings) {
      const idemKey = idempotencyKeyOf(op);
      if (idemKey !== null) keys.push({ productId: group.productId, idemKey, applies: false });
      if (op.kind === 'confirm' || op.kind === 'release' || op.kind === 'expire') {
        reservations.push({ productId: group.productId, reservationId: op.reservationId });
      }
    }
  }
  const queries: Promise<pg.QueryResult>[] = [];
  const [rows, stored, reserved] = sendTogether(client, () => {
    queries.push(client.query('BEGIN'));
    const issued = [
      client.query(selectProductsForUpdate(groups.map((group) => group.productId))),
      keys.length > 0 ? client.query(selectStoredResults(keys)) : null,
      reservations.length > 0 ? client.query(selectReservations(reservations)) : null,
    ] as const;
    for (const query of issued) if (query !== null) queries.push(query);
    return issued;
  });
  const settled = await Promise.allSettled(queries);
  const failure = settled.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    await client.query('ROLLBACK').catch(() => {});
    return (failure as PromiseRejectedResult).reason as Error;
  }
  const states = new Map(productStatesOf((await rows).rows).map((state) => [state.productId, state]));
  const storedByProduct = stored === null ? new Map() : storedResultsOf((await stored).rows);
  const reservationsByProduct = reserved === null ? new Map() : reservationStatesOf((await reserved).rows);
  return {
    inTransaction: true,
    products: groups.map((group) => {
      const state = states.get(group.productId) ?? null;
      if (state === null) cache.delete(group.productId);
      else cache.set(state);
      return {
        productId: group.productId, pendings: group.pendings, state, lockedNow: true,
        stored: learnedResults(group.pendings, storedByProduct.get(group.productId)),
        reservations: reservationsByProduct.get(group.productId) ?? noReservations,
      };
    }),
  };
}

/** Stored results read now, plus those earlier flushes found for these ops' keys. */
function learnedResults(pendings: readonly Pending[], readNow: Map<string, StoredResult> | undefined): ReadonlyMap<string, StoredResult> {
  let results = readNow;
  for (const { op, stored } of pendings) {
    if (stored === null) continue;
    results ??= new Map();
    results.set(idempotencyKeyOf(op)!, stored);
  }
  return results ?? noStored;
}

const noStored: ReadonlyMap<string, StoredResult> = new Map();
