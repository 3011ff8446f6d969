/**
 * The answers of one product's plan, once it is known to hold: an applied op gets its log row and
 * the row its commit left, a duplicate in the batch the result of its first, a stored key its first
 * result, a refusal its error. Pure.
 */
import { assert, assertNever } from '../../assert.js';
import { replayedResult, type ChangeResult, type StoredResult } from '../../domain/change-result.js';
import type { ReservationRecord, ReservationState } from '../../domain/reservation.js';
import { idempotencyKeyOf, type StockOp } from '../../domain/stock-ops.js';
import type { AppError } from '../../errors.js';
import type { AppliedProduct } from '../../store/postgres/flush-statements.js';
import { storedReplayOf, type OpDecision, type PlannedEntry, type ProductPlan } from '../stock-plan.js';
import type { Pending } from './flush-phases.js';

export interface PlanAnswers {
  /** Each op with its answer, in arrival order. */
  answers: [Pending, ChangeResult | AppError][];
  /** Ops that wait for a later flush (behind a compare-and-set or an update of their product). */
  deferred: Pending[];
}

/**
 * `applied` is what the product's UPDATE committed (null when it wrote nothing); `stored` the
 * first results the write found for keys refused on a cached state: such a refusal becomes a
 * replay (or a conflict). Swapping a refusal for a replay changes no other decision, since
 * neither moves the running stock.
 */
export function answersOf(
  plan: ProductPlan, pendings: readonly Pending[], applied: AppliedProduct | null,
  reservations: ReadonlyMap<number, ReservationState>, stored: ReadonlyMap<string, StoredResult> | undefined,
): PlanAnswers {
  const results: (ChangeResult | undefined)[] = [];
  const answers: [Pending, ChangeResult | AppError][] = [];
  const deferred: Pending[] = [];
  for (const [index, planned] of plan.decisions.entries()) {
    const pending = pendings[index]!;
    const decision = planned.kind === 'refuse' ? revisedRefusal(pending.op, planned, stored) : planned;
    switch (decision.kind) {
      case 'apply': {
        assert(applied !== null, 'an applied op without its committed row');
        const result = appliedResult(plan.entries[decision.entryIndex]!, decision.entryIndex, applied, reservations);
        results[index] = result;
        answers.push([pending, result]);
        break;
      }
      case 'replay-batch':
        answers.push([pending, { ...results[decision.opIndex]!, replayed: true }]);
        break;
      case 'replay-stored':
        answers.push([pending, storedResultOf(pending.op, decision.result)]);
        break;
      case 'refuse':
        answers.push([pending, decision.error]);
        break;
      case 'defer':
        deferred.push(pending);
        break;
      default:
        assertNever(decision);
    }
  }
  return { answers, deferred };
}

function revisedRefusal(op: StockOp, refusal: Extract<OpDecision, { kind: 'refuse' }>,
  stored: ReadonlyMap<string, StoredResult> | undefined): OpDecision {
  const key = stored === undefined ? null : idempotencyKeyOf(op);
  const first = key === null ? undefined : stored!.get(key);
  return first === undefined ? refusal : storedReplayOf(op, first);
}

function appliedResult(
  entry: PlannedEntry, entryIndex: number, applied: AppliedProduct, reservations: ReadonlyMap<number, ReservationState>,
): ChangeResult {
  const { record } = applied;
  const reservationId = applied.reservationIds[entryIndex] ?? null;
  return {
    productId: record.productId, delta: entry.delta, reservedDelta: entry.reservedDelta,
    beforeStock: entry.beforeStock, afterStock: entry.afterStock,
    stock: record.stock, reserved: record.reserved, available: record.available, version: record.version,
    logId: applied.logIds[entryIndex]!, replayed: false, record, reservationId,
    reservation: reservationRecordOf(entry, reservationId, applied.committedAt, reservations),
  };
}

/** The reservation as the commit left it: known from the plan, the ids drawn and the commit's time. */
function reservationRecordOf(
  entry: PlannedEntry, reservationId: number | null, committedAt: Date, reservations: ReadonlyMap<number, ReservationState>,
): ReservationRecord | null {
  const change = entry.reservation;
  if (change === null) return null;
  assert(reservationId !== null, 'a reservation entry without its reservation id');
  switch (change.action) {
    case 'create':
      return {
        reservationId, productId: entry.productId, orderId: entry.orderId!, quantity: entry.reservedDelta, status: 'pending',
        // The statement stores now() + ttl: the commit's time is now().
        expiresAt: new Date(committedAt.getTime() + change.ttlSeconds * 1000), createdAt: committedAt, updatedAt: committedAt,
      };
    case 'confirmed': case 'released': case 'expired': {
      const before = reservations.get(reservationId);
      assert(before !== undefined, 'an ended reservation that was not read');
      return {
        reservationId, productId: entry.productId, orderId: before.orderId, quantity: before.quantity, status: change.action,
        expiresAt: before.expiresAt, createdAt: before.createdAt, updatedAt: committedAt,
      };
    }
    default:
      return assertNever(change);
  }
}

/** A stored first result, answered again. */
export function storedResultOf(op: StockOp, stored: StoredResult): ChangeResult {
  const reservation: ReservationRecord | null = stored.reservationId === null || stored.reservationExpiresAt === null
    ? null
    : {
        reservationId: stored.reservationId, productId: op.productId, orderId: op.kind === 'reserve' ? op.orderId : '',
        quantity: stored.reservedDelta, status: 'pending', expiresAt: stored.reservationExpiresAt,
        createdAt: stored.storedAt, updatedAt: stored.storedAt,
      };
  return replayedResult(op.productId, stored, reservation);
}
