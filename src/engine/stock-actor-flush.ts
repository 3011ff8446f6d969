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
import { AppError, errors, isConnectionError, pgErrorCodes } from '../errors.js';
import * as limits from '../limits.js';
import {
  applyPlan, productStateOf, selectProductForUpdate, selectStoredResults, selectVersion,
  type AppliedRow, type ProductRow, type StoredResultRow,
} from '../store/postgres/flush-queries.js';
import { sendTogether } from '../store/postgres/pipeline-writes.js';
import { resolveFlushOutcome, type FlushOutcome } from './stock-actor-outcome.js';
import { planProduct, type ProductPlan } from './stock-plan.js';
import { idempotencyKeyOf, type ChangeResult, type StoredResult } from './stock-types.js';
import type { ActorContext, Pending } from './stock-actor-types.js';

const noStoredResults: ReadonlyMap<string, StoredResult> = new Map();

interface ProductWork {
  productId: number;
  pendings: Pending[];
  /** Loaded under lock in this flush: its refusals need no version check. */
  loadedNow: boolean;
  plan: ProductPlan | null;
  statement: 'apply' | 'check' | 'none';
}

/**
 * Runs one flush. Never throws: every pending op is answered, requeued for the next flush, or
 * returned for an immediate retry (a duplicate key or a deadlock rolled the transaction back).
 */
export async function flushOnce(ctx: ActorContext, batch: Pending[]): Promise<Pending[]> {
  const works = groupByProduct(batch);
  let client: pg.PoolClient;
  try {
    client = await ctx.pool.connect();
  } catch (error) {
    failAll(ctx, batch, failureOf(ctx, error));
    return [];
  }
  let connectionLost: Error | undefined;
  try {
    const loaded = await loadUntrusted(ctx, client, works);
    if (loaded instanceof Error) {
      if (isConnectionError(loaded)) connectionLost = loaded;
      failAll(ctx, batch, failureOf(ctx, loaded));
      return [];
    }
    for (const work of works) planWork(ctx, work, loaded.storedResults.get(work.productId));
    const flushId = randomInt(1, 2 ** 48);
    const written = await writeAndCommit(ctx, client, works, loaded.inTransaction, flushId);
    if (written.kind === 'connection-lost') {
      connectionLost = written.error;
      await settleAfterConnectionLoss(ctx, works, flushId);
      return [];
    }
    if (written.kind === 'rolled-back') return handleRollback(ctx, batch, works, written.error);
    settleCommitted(ctx, works, written.rows);
    return [];
  } finally {
    client.release(connectionLost);
  }
}

function groupByProduct(batch: Pending[]): ProductWork[] {
  const byProduct = new Map<number, ProductWork>();
  for (const pending of batch) {
    const productId = pending.op.productId;
    let work = byProduct.get(productId);
    if (work === undefined) {
      work = { productId, pendings: [], loadedNow: false, plan: null, statement: 'none' };
      byProduct.set(productId, work);
    }
    work.pendings.push(pending);
  }
  // Rows are locked in product order, so two instances flushing the same products cannot deadlock
  // on each other's order.
  return [...byProduct.values()].sort((a, b) => a.productId - b.productId);
}

interface Loaded {
  inTransaction: boolean;
  storedResults: Map<number, Map<string, StoredResult>>;
}

/** BEGIN, then lock and read every product the cache lacks, with the stored results of its keys. */
async function loadUntrusted(ctx: ActorContext, client: pg.PoolClient, works: ProductWork[]): Promise<Loaded | Error> {
  const untrusted = works.filter((work) => !ctx.products.has(work.productId));
  const loaded: Loaded = { inTransaction: false, storedResults: new Map() };
  if (untrusted.length === 0) return loaded;
  const queries: Promise<pg.QueryResult>[] = [];
  const reads: { work: ProductWork; row: Promise<pg.QueryResult>; stored: Promise<pg.QueryResult> | null }[] = [];
  sendTogether(client, () => {
    queries.push(client.query('BEGIN'));
    for (const work of untrusted) {
      const keys = work.pendings.map((pending) => idempotencyKeyOf(pending.op)).filter((key) => key !== null);
      const row = client.query(selectProductForUpdate(work.productId));
      const stored = keys.length > 0 ? client.query(selectStoredResults(work.productId, keys)) : null;
      reads.push({ work, row, stored });
      queries.push(row);
      if (stored !== null) queries.push(stored);
    }
  });
  const settled = await Promise.allSettled(queries);
  const failure = settled.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    await client.query('ROLLBACK').catch(() => {});
    return (failure as PromiseRejectedResult).reason as Error;
  }
  loaded.inTransaction = true;
  for (const { work, row, stored } of reads) {
    work.loadedNow = true;
    const rows = (await row).rows as ProductRow[];
    if (rows[0] !== undefined) ctx.products.set(productStateOf(rows[0]));
    if (stored !== null) {
      const results = new Map<string, StoredResult>();
      for (const { idem_key, ...result } of (await stored).rows as StoredResultRow[]) results.set(idem_key, result);
      loaded.storedResults.set(work.productId, results);
    }
  }
  return loaded;
}

function planWork(ctx: ActorContext, work: ProductWork, storedResults: ReadonlyMap<string, StoredResult> | undefined): void {
  const state = ctx.products.get(work.productId);
  if (state === undefined) {
    assert(work.loadedNow, 'a product missing from the cache must have been loaded');
    return; // no row: every op is refused with INVENTORY_NOT_FOUND when settled
  }
  work.plan = planProduct(state, work.pendings.map((pending) => pending.op), storedResults ?? noStoredResults);
  if (work.plan.entries.length > 0) {
    work.statement = 'apply';
  } else if (!work.loadedNow && work.plan.decisions.some((decision) => decision.kind === 'refuse')) {
    // Refusals judged on a cached state stand only if the row is still at that version.
    work.statement = 'check';
  }
}

type Written =
  | { kind: 'committed'; rows: Map<number, pg.QueryResult> }
  | { kind: 'rolled-back'; error: Error }
  | { kind: 'connection-lost'; error: Error };

async function writeAndCommit(
  ctx: ActorContext, client: pg.PoolClient, works: ProductWork[], inTransaction: boolean, flushId: number,
): Promise<Written> {
  const writes = works.filter((work) => work.statement !== 'none');
  const needsTransaction = inTransaction || writes.some((work) => work.statement === 'apply');
  if (writes.length === 0 && !needsTransaction) return { kind: 'committed', rows: new Map() };
  const queries: Promise<pg.QueryResult>[] = [];
  const byProduct = new Map<number, Promise<pg.QueryResult>>();
  const commit = sendTogether(client, () => {
    if (needsTransaction && !inTransaction) queries.push(client.query('BEGIN'));
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
  ctx.metrics.flushes.inc({ outcome: 'committed' });
  return { kind: 'committed', rows };
}

function handleRollback(ctx: ActorContext, batch: Pending[], works: ProductWork[], error: Error): Pending[] {
  const code = (error as { code?: string }).code;
  ctx.metrics.flushes.inc({ outcome: 'rolled_back' });
  if (code === pgErrorCodes.uniqueViolation) {
    // Another flush or instance committed one of these keys. Forget the products with keys, so the
    // retry reads their stored results under the row lock and replays them.
    for (const work of works) {
      if (work.pendings.some((pending) => idempotencyKeyOf(pending.op) !== null)) ctx.products.delete(work.productId);
    }
    return batch;
  }
  if (code === pgErrorCodes.deadlockDetected || code === pgErrorCodes.serializationFailure) return batch;
  ctx.log.error({ err: error, shard: ctx.shardIndex }, 'flush rolled back');
  for (const work of works) ctx.products.delete(work.productId);
  failAll(ctx, batch, failureOf(ctx, error));
  return [];
}

function settleCommitted(ctx: ActorContext, works: ProductWork[], rows: Map<number, pg.QueryResult>): void {
  const requeued: Pending[] = [];
  for (const work of works) {
    const plan = work.plan;
    if (plan === null) {
      for (const pending of work.pendings) ctx.settle(pending, errors.inventoryNotFound(work.productId));
      continue;
    }
    const result = rows.get(work.productId);
    switch (work.statement) {
      case 'apply': {
        const row = result!.rows[0] as AppliedRow | undefined;
        if (row === undefined) {
          // Another writer moved the version: forget the state, judge these again next flush.
          ctx.products.delete(work.productId);
          requeued.push(...work.pendings);
          continue;
        }
        assert(row.version === plan.baseVersion + 1 && row.log_ids.length === plan.entries.length);
        const state = ctx.products.get(work.productId)!;
        assert(row.stock === state.stock + plan.netStock && row.reserved === state.reserved + plan.netReserved,
          'the committed stock differs from the plan');
        ctx.products.set({ ...state, stock: row.stock, reserved: row.reserved, version: row.version });
        settlePlan(ctx, work, row);
        continue;
      }
      case 'check': {
        const version = (result!.rows[0] as { version: number } | undefined)?.version;
        if (version !== plan.baseVersion) {
          ctx.products.delete(work.productId);
          requeued.push(...work.pendings);
          continue;
        }
        settlePlan(ctx, work, null);
        continue;
      }
      case 'none':
        settlePlan(ctx, work, null);
        continue;
    }
  }
  if (requeued.length > 0) ctx.requeue(requeued);
}

/** Answers every op of a product whose plan is known to hold; `row` is its committed state, if it wrote. */
function settlePlan(ctx: ActorContext, work: ProductWork, row: AppliedRow | null): void {
  const plan = work.plan!;
  const results: (ChangeResult | undefined)[] = [];
  const answers: [Pending, ChangeResult | AppError][] = [];
  const deferred: Pending[] = [];
  for (const [index, decision] of plan.decisions.entries()) {
    const pending = work.pendings[index]!;
    switch (decision.kind) {
      case 'apply': {
        assert(row !== null);
        const entry = plan.entries[decision.entryIndex]!;
        results[index] = {
          product_id: plan.productId, delta: entry.delta, before_stock: entry.beforeStock, after_stock: entry.afterStock,
          stock: row.stock, reserved: row.reserved, available: row.available, version: row.version,
          log_id: row.log_ids[decision.entryIndex]!, replayed: false,
        };
        answers.push([pending, results[index]]);
        break;
      }
      case 'replay-batch':
        answers.push([pending, { ...results[decision.opIndex]!, replayed: true }]);
        break;
      case 'replay-stored': {
        const { op_type: _opType, ...stored } = decision.result;
        answers.push([pending, { ...stored, replayed: true }]);
        break;
      }
      case 'refuse':
        answers.push([pending, decision.error]);
        break;
      case 'defer':
        deferred.push(pending);
        break;
    }
  }
  if (deferred.length > 0) ctx.requeue(deferred);
  if (row === null) {
    for (const [pending, answer] of answers) ctx.settle(pending, answer);
    return;
  }
  const seckillIncrement = plan.entries
    .filter((entry) => entry.opType === 'add' || entry.opType === 'update')
    .reduce((sum, entry) => sum + entry.delta, 0);
  ctx.afterCommit(plan.productId, row.available, row.version, seckillIncrement, () => {
    for (const [pending, answer] of answers) ctx.settle(pending, answer);
  });
}

/**
 * The connection died after the flush was sent: it may or may not have committed. Ask PostgreSQL
 * (on a fresh connection) which products' writes landed; answer those as committed, the rest as
 * not applied, and only if the question cannot be answered in time, say the outcome is unknown.
 */
async function settleAfterConnectionLoss(ctx: ActorContext, works: ProductWork[], flushId: number): Promise<void> {
  ctx.metrics.flushes.inc({ outcome: 'connection_lost' });
  for (const work of works) ctx.products.delete(work.productId);
  const applying = works.filter((work) => work.statement === 'apply').map((work) => work.plan!);
  const outcomes: Map<number, FlushOutcome> | null = applying.length === 0
    ? new Map()
    : await resolveFlushOutcome(ctx.pool, applying, flushId, limits.outcomeResolveMs, limits.outcomeResolveRetryMs);
  for (const work of works) {
    const outcome = outcomes?.get(work.productId);
    if (outcome !== undefined && outcome.landed) {
      settlePlan(ctx, work, outcome.row);
      continue;
    }
    const failure = work.statement === 'apply' && outcomes === null ? errors.commitOutcomeUnknown() : errors.databaseUnavailable();
    for (const pending of work.pendings) ctx.settle(pending, failure);
  }
}

function failAll(ctx: ActorContext, batch: Pending[], error: AppError): void {
  for (const pending of batch) ctx.settle(pending, error);
}

function failureOf(ctx: ActorContext, error: unknown): AppError {
  if (isConnectionError(error)) return errors.databaseUnavailable();
  const code = (error as { code?: string }).code;
  if (code === '57014' || code === '55P03') return errors.overloaded('PostgreSQL did not answer in time; nothing was applied');
  ctx.log.error({ err: error, shard: ctx.shardIndex }, 'flush failed');
  return errors.internal();
}
