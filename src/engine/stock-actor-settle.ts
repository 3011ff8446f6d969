/**
 * The answering half of a flush: after COMMIT (or after learning what a lost connection left),
 * every op gets its answer, its stored replay, or goes back to the mailbox to be judged again.
 */
import { assert, assertNever } from '../assert.js';
import { AppError, errors } from '../errors.js';
import * as limits from '../limits.js';
import { finishingEntries, type AppliedRow } from '../store/postgres/flush-queries.js';
import type { LoadableWork } from './stock-actor-load.js';
import { resolveFlushOutcome, type FlushOutcome } from './stock-actor-outcome.js';
import { storedReplayOf, type OpDecision, type ProductPlan } from './stock-plan.js';
import { idempotencyKeyOf } from '../domain/stock-ops.js';
import { type ChangeResult, type StoredResult } from '../domain/change-result.js';
import type { ActorContext, Pending } from './stock-actor-types.js';
import type pg from 'pg';

export interface ProductWork extends LoadableWork {
  plan: ProductPlan | null;
  statement: 'apply' | 'check' | 'none';
  /**
   * Keys of ops refused on a cached state. The cache says nothing of keys committed earlier, so
   * their stored first results are read in the write round: found, the refusal becomes a replay
   * (or an IDEMPOTENCY_CONFLICT). Swapping a refusal for a replay changes no other decision, since
   * neither moves the running stock.
   */
  refusedKeys: string[];
}

/** Stored first results read in the write round, per product; null when they could not be read. */
export type LateStored = Map<string, StoredResult> | null;

export function settleCommitted(
  ctx: ActorContext, works: ProductWork[], rows: Map<number, pg.QueryResult>, lateStored: Map<number, LateStored>,
): void {
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
          ctx.metrics.flushReplans.inc({ reason: 'version_moved' });
          ctx.products.delete(work.productId);
          requeued.push(...work.pendings);
          continue;
        }
        assert(row.version === plan.baseVersion + 1 && row.log_ids.length === plan.entries.length);
        assert(row.finished_rows === finishingEntries(plan), 'a reservation the plan ended was not pending');
        const state = plan.base;
        assert(row.stock === state.stock + plan.netStock && row.reserved === state.reserved + plan.netReserved,
          'the committed stock differs from the plan');
        ctx.products.set({
          ...state, stock: row.stock, reserved: row.reserved, version: row.version,
          status: row.status, minStock: row.min_stock, maxStock: row.max_stock,
        });
        settlePlan(ctx, work, row, lateStored.get(work.productId) ?? new Map());
        continue;
      }
      case 'check': {
        const version = (result!.rows[0] as { version: number } | undefined)?.version;
        if (version !== plan.baseVersion) {
          ctx.metrics.flushReplans.inc({ reason: 'version_moved' });
          ctx.products.delete(work.productId);
          requeued.push(...work.pendings);
          continue;
        }
        settlePlan(ctx, work, null, lateStored.get(work.productId) ?? new Map());
        continue;
      }
      case 'none':
        settlePlan(ctx, work, null, new Map());
        continue;
      default:
        assertNever(work.statement);
    }
  }
  if (requeued.length > 0) ctx.requeue(requeued);
}

/**
 * Answers every op of a product whose plan is known to hold; `row` is its committed state, if it
 * wrote, and `lateStored` the first results found for its refused keys.
 */
function settlePlan(ctx: ActorContext, work: ProductWork, row: AppliedRow | null, lateStored: LateStored): void {
  const plan = work.plan!;
  const results: (ChangeResult | undefined)[] = [];
  const answers: [Pending, ChangeResult | AppError][] = [];
  const deferred: Pending[] = [];
  for (const [index, planned] of plan.decisions.entries()) {
    const pending = work.pendings[index]!;
    const decision = planned.kind === 'refuse' ? reviseRefusal(pending, planned, work.refusedKeys, lateStored) : planned;
    switch (decision.kind) {
      case 'apply': {
        assert(row !== null);
        const entry = plan.entries[decision.entryIndex]!;
        results[index] = {
          product_id: plan.productId, delta: entry.delta, before_stock: entry.beforeStock, after_stock: entry.afterStock,
          stock: row.stock, reserved: row.reserved, available: row.available, version: row.version,
          log_id: row.log_ids[decision.entryIndex]!, replayed: false,
          reserved_delta: entry.reservedDelta, reservation_id: row.reservation_ids[decision.entryIndex] ?? null,
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
 * (on a fresh connection, once the old backend is gone) which products' writes landed; answer
 * those as committed, the rest as not applied, and only if the question cannot be answered in
 * time, say the outcome is unknown.
 */
export async function settleAfterConnectionLoss(
  ctx: ActorContext, works: ProductWork[], flushId: number, backendPid: number | null,
): Promise<void> {
  ctx.metrics.flushes.inc({ outcome: 'connection_lost' });
  for (const work of works) ctx.products.delete(work.productId);
  const applying = works.filter((work) => work.statement === 'apply').map((work) => work.plan!);
  const outcomes: Map<number, FlushOutcome> | null = applying.length === 0
    ? new Map()
    : await resolveFlushOutcome(ctx.pool, applying, flushId, backendPid, limits.outcomeResolveMs, limits.outcomeResolveRetryMs);
  for (const work of works) {
    const outcome = outcomes?.get(work.productId);
    if (outcome !== undefined && outcome.landed) {
      settlePlan(ctx, work, outcome.row, null);
      continue;
    }
    const failure = work.statement === 'apply' && outcomes === null ? errors.commitOutcomeUnknown() : errors.databaseUnavailable();
    for (const pending of work.pendings) ctx.settle(pending, failure);
  }
}

/** A refusal of a keyed op, revised by the first result its key turned out to have. */
function reviseRefusal(
  pending: Pending, refusal: Extract<OpDecision, { kind: 'refuse' }>, refusedKeys: string[], lateStored: LateStored,
): OpDecision {
  const key = idempotencyKeyOf(pending.op);
  if (key === null || !refusedKeys.includes(key)) return refusal;
  // The write round's answer is unknown (connection lost): the refusal cannot be trusted, and
  // nothing was applied for this op, so a retry is safe.
  if (lateStored === null) return { kind: 'refuse', error: errors.databaseUnavailable() };
  const stored = lateStored.get(key);
  return stored === undefined ? refusal : storedReplayOf(pending.op, stored);
}

