/**
 * Phase 5 of a flush whose connection died after its write was sent. Every answer must be true:
 * a committed change is never answered "nothing was applied", and an op whose fate is not known
 * is answered "outcome unknown, retry with the same key".
 */
import { assertNever } from '../../assert.js';
import type { ChangeResult } from '../../domain/change-result.js';
import { idempotencyKeyOf } from '../../domain/stock-ops.js';
import { AppError, errors } from '../../errors.js';
import type { CacheWrite } from '../../store/redis/stock-cache.js';
import { answersOf, storedResultOf } from './flush-answers.js';
import { resolveFlushOutcome } from './flush-outcome.js';
import type { ActorContext, Pending, PlannedFlush, PlannedProduct } from './flush-phases.js';
import { cacheWriteOf, settleAfterCacheWrite, settleNow } from './flush-settle.js';

export async function settleAfterConnectionLoss(
  ctx: ActorContext, planned: PlannedFlush, flushId: number, backendPid: number | null,
): Promise<void> {
  ctx.metrics.flushes.inc({ outcome: 'connection_lost' });
  for (const product of planned.products) ctx.products.delete(product.loaded.productId);
  const updating = planned.products.filter((product) => product.confirmation === 'update');
  const outcome = updating.length === 0 ? { landed: false as const } : await resolveFlushOutcome(
    ctx.pool, updating.map((product) => product.plan!), flushId, backendPid, ctx.outcomeDeadline,
  );
  const cacheWrites: CacheWrite[] = [];
  const afterWrite: [Pending, ChangeResult | AppError][] = [];
  for (const product of planned.products) {
    switch (product.confirmation) {
      case 'none':
        // Judged under a lock that was held, or only replays of known first results: true either way.
        if (product.plan === null) for (const pending of product.loaded.pendings) ctx.settle(pending, errors.inventoryNotFound(product.loaded.productId));
        else settleNow(ctx, product, undefined);
        continue;
      case 'version':
        answerUnconfirmed(ctx, product, false);
        continue;
      case 'update': {
        if (outcome === null || !outcome.landed) {
          answerUnconfirmed(ctx, product, outcome === null);
          continue;
        }
        const applied = outcome.applied.get(product.loaded.productId)!;
        const { answers, deferred } = answersOf(product.plan!, product.loaded.pendings, applied, product.loaded.reservations, undefined);
        if (deferred.length > 0) ctx.requeue(deferred, 'deferred');
        for (const [pending, answer] of answers) afterWrite.push([pending, refusalOfUncheckedKey(product, pending, answer)]);
        cacheWrites.push(cacheWriteOf(product.plan!, applied));
        continue;
      }
      default:
        assertNever(product.confirmation);
    }
  }
  settleAfterCacheWrite(ctx, cacheWrites, afterWrite);
}

/**
 * A product whose write did not land (or whose refusals could not be confirmed). Replays of known
 * first results stand. `mayHaveLanded`: its write may have committed. Otherwise nothing of this
 * request applied — except that a key judged on a cached state was never looked up, and may have
 * been applied by an earlier request: "retry with the same key" is the true answer there.
 */
function answerUnconfirmed(ctx: ActorContext, product: PlannedProduct, mayHaveLanded: boolean): void {
  const deferred: Pending[] = [];
  for (const [index, pending] of product.loaded.pendings.entries()) {
    const decision = product.plan!.decisions[index]!;
    if (decision.kind === 'defer') {
      deferred.push(pending);
      continue;
    }
    if (decision.kind === 'replay-stored') {
      ctx.settle(pending, storedResultOf(pending.op, decision.result));
      continue;
    }
    const unchecked = !product.loaded.lockedNow && idempotencyKeyOf(pending.op) !== null;
    ctx.settle(pending, mayHaveLanded || unchecked ? errors.commitOutcomeUnknown() : errors.databaseUnavailable());
  }
  if (deferred.length > 0) ctx.requeue(deferred, 'deferred');
}

/** In a landed write, a keyed refusal judged on a cached state may have been a replay: its lookup was lost. */
function refusalOfUncheckedKey(product: PlannedProduct, pending: Pending, answer: ChangeResult | AppError): ChangeResult | AppError {
  if (!(answer instanceof AppError) || product.loaded.lockedNow || idempotencyKeyOf(pending.op) === null) return answer;
  return errors.commitOutcomeUnknown();
}
