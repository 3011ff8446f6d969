/**
 * The I/O half of a flush: one transaction for a batch of operations on one shard's products.
 * Products the actor does not trust are loaded under their row lock first; then each product's
 * plan (`stock-plan.ts`) is written by one versioned statement, and COMMIT. Statements are sent
 * pipelined: a flush of cached products costs one round trip. Callers are answered only after
 * the COMMIT that holds their change.
 */
import { randomInt } from 'node:crypto';
import type pg from 'pg';
import { assert } from '../assert.js';
import { AppError, databaseFailureOf, errors, isConnectionError, pgErrorCodes } from '../errors.js';
import { applyPlan, selectStoredResults, selectVersion, type StoredResultRow } from '../store/postgres/flush-queries.js';
import { sendTogether } from '../store/postgres/pipeline-writes.js';
import { loadUntrusted } from './stock-actor-load.js';
import { settleAfterConnectionLoss, settleCommitted, type LateStored, type ProductWork } from './stock-actor-settle.js';
import { planProduct } from './stock-plan.js';
import { idempotencyKeyOf } from '../domain/stock-ops.js';
import { type StoredResult } from '../domain/change-result.js';
import type { ActorContext, Pending } from './stock-actor-types.js';

const noStoredResults: ReadonlyMap<string, StoredResult> = new Map();

/**
 * Runs one flush. Every pending op is answered, requeued for the next flush, or returned for an
 * immediate retry (a duplicate key or a deadlock rolled the transaction back). Only a failed
 * assertion (a bug) escapes, and the actor loop then crashes the process rather than hang callers.
 */
export async function flushOnce(ctx: ActorContext, batch: Pending[]): Promise<Pending[]> {
  const works = groupByProduct(ctx, batch);
  let client: pg.PoolClient;
  try {
    client = await ctx.pool.connect();
  } catch (error) {
    failAll(ctx, batch, failureOf(ctx, error));
    return [];
  }
  let connectionLost: Error | undefined;
  let released = false;
  try {
    const loaded = await loadUntrusted(ctx, client, works);
    if (loaded instanceof Error) {
      if (isConnectionError(loaded)) connectionLost = loaded;
      failAll(ctx, batch, failureOf(ctx, loaded));
      return [];
    }
    for (const work of works) planWork(work, loaded.storedResults.get(work.productId));
    const flushId = randomInt(1, 2 ** 48);
    const written = await writeAndCommit(ctx, client, works, loaded.inTransaction, flushId);
    if (written.kind === 'connection-lost') {
      // Give the dead connection back first: finding out what landed needs a connection of its
      // own, and the pool holds one per shard.
      const backendPid = (client as unknown as { processID: number | null }).processID;
      client.release(written.error);
      released = true;
      await settleAfterConnectionLoss(ctx, works, flushId, backendPid);
      return [];
    }
    if (written.kind === 'rolled-back') return handleRollback(ctx, batch, works, written.error);
    settleCommitted(ctx, works, written.rows, written.lateStored);
    return [];
  } finally {
    if (!released) client.release(connectionLost);
  }
}

function groupByProduct(ctx: ActorContext, batch: Pending[]): ProductWork[] {
  const byProduct = new Map<number, ProductWork>();
  for (const pending of batch) {
    const productId = pending.op.productId;
    let work = byProduct.get(productId);
    if (work === undefined) {
      work = {
        productId, pendings: [], state: ctx.products.get(productId), loadedNow: false, reservations: new Map(),
        plan: null, statement: 'none', refusedKeys: [],
      };
      byProduct.set(productId, work);
    }
    work.pendings.push(pending);
  }
  // Statements go out in product order, so the rows a flush locks are taken in one global order.
  return [...byProduct.values()].sort((a, b) => a.productId - b.productId);
}

function planWork(work: ProductWork, storedResults: ReadonlyMap<string, StoredResult> | undefined): void {
  const state = work.state;
  if (state === undefined) {
    assert(work.loadedNow, 'a product missing from the cache must have been loaded');
    return; // no row: every op is refused with INVENTORY_NOT_FOUND when settled
  }
  work.plan = planProduct(state, work.pendings.map((pending) => pending.op), storedResults ?? noStoredResults, work.reservations);
  if (!work.loadedNow) {
    work.refusedKeys = work.plan.decisions.flatMap((decision, index) =>
      decision.kind === 'refuse' ? [idempotencyKeyOf(work.pendings[index]!.op)].filter((key) => key !== null) : []);
  }
  if (work.plan.entries.length > 0) {
    work.statement = 'apply';
  } else if (!work.loadedNow && work.plan.decisions.some((decision) => decision.kind === 'refuse')) {
    // Refusals judged on a cached state stand only if the row is still at that version.
    work.statement = 'check';
  }
}

type Written =
  | { kind: 'committed'; rows: Map<number, pg.QueryResult>; lateStored: Map<number, LateStored> }
  | { kind: 'rolled-back'; error: Error }
  | { kind: 'connection-lost'; error: Error };

async function writeAndCommit(
  ctx: ActorContext, client: pg.PoolClient, works: ProductWork[], inTransaction: boolean, flushId: number,
): Promise<Written> {
  const writes = works.filter((work) => work.statement === 'apply' || work.statement === 'check');
  const needsTransaction = inTransaction || writes.some((work) => work.statement === 'apply');
  if (writes.length === 0 && !needsTransaction) return { kind: 'committed', rows: new Map(), lateStored: new Map() };
  const queries: Promise<pg.QueryResult>[] = [];
  const byProduct = new Map<number, Promise<pg.QueryResult>>();
  const storedReads = new Map<number, Promise<pg.QueryResult>>();
  const commit = sendTogether(client, () => {
    if (needsTransaction && !inTransaction) queries.push(client.query('BEGIN'));
    // Before the writes: a key this flush applies after refusing it earlier must not read as stored.
    for (const work of writes) {
      if (work.refusedKeys.length === 0) continue;
      const read = client.query(selectStoredResults(work.productId, work.refusedKeys));
      storedReads.set(work.productId, read);
      queries.push(read);
    }
    for (const work of writes) {
      const query = work.statement === 'apply'
        ? client.query(applyPlan(work.plan!, flushId))
        : client.query(selectVersion(work.productId));
      byProduct.set(work.productId, query);
      queries.push(query);
    }
    return needsTransaction ? client.query('COMMIT') : null;
  });
  if (commit !== null) queries.push(commit);
  const settled = await Promise.allSettled(queries);
  const errorsSeen = settled.filter((result) => result.status === 'rejected')
    .map((result) => (result as PromiseRejectedResult).reason as Error);
  const lost = errorsSeen.find(isConnectionError);
  if (lost !== undefined) return { kind: 'connection-lost', error: lost };
  // In an aborted transaction PostgreSQL answers COMMIT with ROLLBACK.
  if (errorsSeen.length > 0 || (commit !== null && (await commit).command !== 'COMMIT')) {
    return { kind: 'rolled-back', error: errorsSeen.find((error) => !/current transaction is aborted/.test(error.message)) ?? errorsSeen[0]! };
  }
  const rows = new Map<number, pg.QueryResult>();
  for (const [productId, query] of byProduct) rows.set(productId, await query);
  const lateStored = new Map<number, LateStored>();
  for (const [productId, read] of storedReads) {
    lateStored.set(productId, new Map(((await read).rows as StoredResultRow[]).map(({ idem_key, ...stored }) => [idem_key, stored])));
  }
  ctx.metrics.flushes.inc({ outcome: 'committed' });
  return { kind: 'committed', rows, lateStored };
}

function handleRollback(ctx: ActorContext, batch: Pending[], works: ProductWork[], error: Error): Pending[] {
  const code = (error as { code?: string }).code;
  ctx.metrics.flushes.inc({ outcome: 'rolled_back' });
  if (code === pgErrorCodes.uniqueViolation) {
    ctx.metrics.flushReplans.inc({ reason: 'duplicate_key' });
    // Another flush or instance committed one of these keys. Forget that product (named by the
    // error's detail, "Key (product_id, …)=(42, …) already exists"), so the retry reads its stored
    // results under the row lock and replays them; without a readable detail, every keyed product.
    const productId = Number(/=\((\d+),/.exec((error as { detail?: string }).detail ?? '')?.[1]);
    for (const work of works) {
      const keyed = work.pendings.some((pending) => idempotencyKeyOf(pending.op) !== null);
      if (work.productId === productId || (!Number.isSafeInteger(productId) && keyed)) ctx.products.delete(work.productId);
    }
    return batch;
  }
  if (code === pgErrorCodes.deadlockDetected || code === pgErrorCodes.serializationFailure) {
    ctx.metrics.flushReplans.inc({ reason: 'deadlock' });
    return batch;
  }
  ctx.log.error({ err: error, shard: ctx.shardIndex }, 'flush rolled back');
  for (const work of works) ctx.products.delete(work.productId);
  failAll(ctx, batch, failureOf(ctx, error));
  return [];
}

function failAll(ctx: ActorContext, batch: Pending[], error: AppError): void {
  for (const pending of batch) ctx.settle(pending, error);
}

function failureOf(ctx: ActorContext, error: unknown): AppError {
  const failure = databaseFailureOf(error);
  if (failure !== null) return failure;
  ctx.log.error({ err: error, shard: ctx.shardIndex }, 'flush failed');
  return errors.internal();
}
