/**
 * Phase 5 of a flush, after the write committed: every op is answered (the ones that wrote only
 * once their product's Redis write is done or its wait bound passed), or goes back to the mailbox
 * with its reason: its product's version moved (forget the state, reload it under lock), or a key
 * it applied was stored already (keep the state, replay the key next time).
 */
import { assert, assertNever } from '../../assert.js';
import type { ChangeResult } from '../../domain/change-result.js';
import { idempotencyKeyOf } from '../../domain/stock-ops.js';
import { errors, type AppError } from '../../errors.js';
import type { AppliedProduct, FlushOutcomeRows } from '../../store/postgres/flush-statements.js';
import type { CacheWrite } from '../../store/redis/stock-cache.js';
import type { ProductPlan } from '../stock-plan.js';
import { answersOf } from './flush-answers.js';
import type { ActorContext, Pending, PlannedFlush, PlannedProduct } from './flush-phases.js';

export function settleCommitted(ctx: ActorContext, planned: PlannedFlush, rows: FlushOutcomeRows): void {
  const cacheWrites: CacheWrite[] = [];
  const afterWrite: [Pending, ChangeResult | AppError][] = [];
  for (const product of planned.products) {
    const { loaded, plan } = product;
    if (plan === null) {
      for (const pending of loaded.pendings) ctx.settle(pending, errors.inventoryNotFound(loaded.productId));
      continue;
    }
    const stored = rows.stored.get(plan.productId);
    switch (product.confirmation) {
      case 'update': {
        const applied = rows.applied.get(plan.productId);
        if (applied === undefined) {
          sendBack(ctx, product, stored !== undefined && holdsBack(product, stored));
          continue;
        }
        checkCommitted(plan, applied);
        ctx.products.set({
          ...plan.base, stock: applied.record.stock, reserved: applied.record.reserved, version: applied.record.version,
          status: applied.record.status, minStock: applied.record.minStock, maxStock: applied.record.maxStock,
        });
        const { answers, deferred } = answersOf(plan, loaded.pendings, applied, loaded.reservations, stored);
        if (deferred.length > 0) ctx.requeue(deferred, 'deferred');
        for (const answer of answers) afterWrite.push(answer);
        cacheWrites.push(cacheWriteOf(plan, applied));
        continue;
      }
      case 'version':
        if (rows.versions.get(plan.productId) !== plan.baseVersion) {
          sendBack(ctx, product, false);
          continue;
        }
        settleNow(ctx, product, stored);
        continue;
      case 'none':
        settleNow(ctx, product, undefined);
        continue;
      default:
        assertNever(product.confirmation);
    }
  }
  settleAfterCacheWrite(ctx, cacheWrites, afterWrite);
}

/**
 * Answers the ops of committed products once their Redis write is done or its wait bound passed
 * (`ctx.afterCommit`), at once when the flush wrote no product.
 */
export function settleAfterCacheWrite(
  ctx: ActorContext, cacheWrites: CacheWrite[], afterWrite: readonly [Pending, ChangeResult | AppError][],
): void {
  const answerAll = () => {
    for (const [pending, answer] of afterWrite) ctx.settle(pending, answer);
  };
  if (cacheWrites.length === 0) answerAll();
  else ctx.afterCommit(cacheWrites, answerAll);
}

/** Answers a product that wrote nothing: its refusals stand and its replays are known. */
export function settleNow(ctx: ActorContext, product: PlannedProduct, stored: Parameters<typeof answersOf>[4]): void {
  const { answers, deferred } = answersOf(product.plan!, product.loaded.pendings, null, product.loaded.reservations, stored);
  if (deferred.length > 0) ctx.requeue(deferred, 'deferred');
  for (const [pending, answer] of answers) ctx.settle(pending, answer);
}

/** Pair assertions around the write: the row moved exactly as planned. */
function checkCommitted(plan: ProductPlan, applied: AppliedProduct): void {
  const { record } = applied;
  assert(record.version === plan.baseVersion + 1, 'a flush moved a version by other than one');
  assert(applied.logIds.length === plan.entries.length, 'a flush wrote other than one log row per applied op');
  assert(applied.finishedRows === plan.entries.filter(({ reservation }) => reservation !== null && reservation.action !== 'create').length,
    'a reservation the plan ended was not pending');
  assert(record.stock === plan.baseStock + plan.netStock && record.reserved === plan.baseReserved + plan.netReserved,
    'the committed stock differs from the plan');
}

/**
 * The product wrote nothing. If a key it applied was stored already, its state is still right:
 * the stored results ride along with their ops and replay in the next plan. Otherwise its version
 * moved: forget the state, so the next flush reloads it under its row lock.
 */
function sendBack(ctx: ActorContext, product: PlannedProduct, heldBackByStoredKey: boolean): void {
  const { pendings } = product.loaded;
  if (heldBackByStoredKey) {
    ctx.requeue(pendings, 'stored_key');
    return;
  }
  ctx.products.delete(product.loaded.productId);
  ctx.requeue(pendings, 'version_moved');
}

/** Attaches the stored first results to their ops; true when one of them was an applied key. */
function holdsBack(product: PlannedProduct, stored: ReadonlyMap<string, NonNullable<Pending['stored']>>): boolean {
  let heldBack = false;
  for (const [index, pending] of product.loaded.pendings.entries()) {
    const key = idempotencyKeyOf(pending.op);
    const first = key === null ? undefined : stored.get(key);
    if (first === undefined) continue;
    pending.stored = first;
    if (product.plan!.decisions[index]!.kind === 'apply') heldBack = true;
  }
  return heldBack;
}

export function cacheWriteOf(plan: ProductPlan, applied: AppliedProduct): CacheWrite {
  // In seckill mode the front end deducts in Redis itself; only stock this service adds is added there.
  let seckillIncrement = 0;
  for (const entry of plan.entries) if (entry.opType === 'add' || entry.opType === 'update') seckillIncrement += entry.delta;
  return { productId: plan.productId, available: applied.record.available, version: applied.record.version, seckillIncrement };
}
