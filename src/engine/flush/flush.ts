/**
 * One flush of a shard's batch, phase by phase (see `flush-phases.ts`): group, load (only when
 * needed), plan, write, settle. Two round trips at most, one when the actor trusts every product.
 * Every op is answered, or sent back to the mailbox through `ctx.requeue`; the only other outcome
 * is 'poisoned': the statement failed for a reason a retry cannot cure, and the actor isolates
 * the op that causes it (`stock-actor.ts`).
 */
import { randomInt } from 'node:crypto';
import type pg from 'pg';
import { assertNever } from '../../assert.js';
import { databaseFailureOf, isConnectionError, pgErrorCodes } from '../../errors.js';
import * as limits from '../../limits.js';
import { groupByProduct } from './flush-group.js';
import { fromCache, loadLocked, needsLoadRound, type Loaded } from './flush-load.js';
import type { ActorContext, Pending, PlannedFlush } from './flush-phases.js';
import { planFlush } from './flush-plan.js';
import { settleCommitted } from './flush-settle.js';
import { settleAfterConnectionLoss } from './flush-settle-lost.js';
import { writeFlush } from './flush-write.js';

/** 'poisoned' carries the error a retry cannot cure, so the op found alone is answered by it. */
export type FlushEnd = { kind: 'done' } | { kind: 'poisoned'; error: Error };

const done: FlushEnd = { kind: 'done' };

/** Largest flush token: a positive BIGINT that stays an exact JavaScript number. */
const flushIdMax = 2 ** 48;

export async function runFlush(ctx: ActorContext, batch: Pending[]): Promise<FlushEnd> {
  const groups = groupByProduct(batch, ctx.products);
  let client: pg.PoolClient;
  try {
    client = await ctx.pool.connect();
  } catch (error) {
    return failed(ctx, batch, error as Error);
  }
  let released = false;
  let broken: Error | undefined;
  try {
    let loaded: Loaded;
    if (needsLoadRound(groups)) {
      const result = await loadLocked(client, groups, ctx.products);
      if (result instanceof Error) {
        if (isConnectionError(result)) broken = result;
        return failed(ctx, batch, result);
      }
      loaded = result;
    } else {
      loaded = fromCache(groups);
    }
    const flushId = randomInt(1, flushIdMax);
    const planned = planFlush(loaded.products, loaded.inTransaction, flushId);
    const written = await writeFlush(client, planned, ctx.stockEvents);
    switch (written.kind) {
      case 'committed':
        if (planned.write !== null || planned.inTransaction) ctx.metrics.flushes.inc({ outcome: 'committed' });
        settleCommitted(ctx, planned, written.rows);
        return done;
      case 'connection-lost':
        // Give the dead connection back first: finding out what landed needs a connection of its
        // own, and the pool holds one per shard.
        client.release(written.error);
        released = true;
        await settleAfterConnectionLoss(ctx, planned, flushId, written.backendPid);
        return done;
      case 'rolled-back':
        return rolledBack(ctx, batch, planned, written.error);
      default:
        return assertNever(written);
    }
  } finally {
    if (!released) client.release(broken);
  }
}

/**
 * Nothing of the flush applied. A duplicate key (another instance committed one of these keys
 * after the statement looked) or a deadlock is cured by judging the batch again; a timeout is
 * load; anything else is deterministic: the same batch would fail again.
 */
function rolledBack(ctx: ActorContext, batch: Pending[], planned: PlannedFlush, error: Error): FlushEnd {
  ctx.metrics.flushes.inc({ outcome: 'rolled_back' });
  const { code, constraint } = error as { code?: string; constraint?: string };
  const retryable = (code === pgErrorCodes.uniqueViolation && constraint === 'inventory_idempotency_pkey') ||
    code === pgErrorCodes.deadlockDetected || code === pgErrorCodes.serializationFailure;
  if (retryable) {
    ctx.metrics.flushReplans.inc({ reason: code === pgErrorCodes.uniqueViolation ? 'duplicate_key' : 'deadlock' });
    // The cached states may be the reason (a key committed meanwhile): judge under lock next time.
    for (const product of planned.products) ctx.products.delete(product.loaded.productId);
    ctx.requeue(batch, 'rolled_back');
    return done;
  }
  return failed(ctx, batch, error);
}

/** A failure before or instead of a commit: nothing of this flush applied. */
function failed(ctx: ActorContext, batch: Pending[], error: Error): FlushEnd {
  const failure = databaseFailureOf(error);
  if (failure === null) {
    // The op that causes it is logged at error once it is found alone (`stock-actor.ts`).
    ctx.log.warn({ err: { message: error.message, code: (error as { code?: string }).code }, shard: ctx.shardIndex, ops: batch.length, trace_ids: traceIdsOf(batch) },
      'flush failed for a reason a retry cannot cure; isolating its operations');
    return { kind: 'poisoned', error };
  }
  for (const pending of batch) ctx.settle(pending, failure);
  return done;
}

/** The trace ids of a batch's requests for a log line, at most `limits.logTraceIdsMax` of them. */
function traceIdsOf(batch: readonly Pending[]): (string | null)[] {
  return batch.slice(0, limits.logTraceIdsMax).map((pending) => pending.op.traceId);
}
