/**
 * The decision half of a flush, pure and synchronous: given one product's state and its pending
 * operations in arrival order, decide which apply, which are refused and which wait for the next
 * flush, against the running stock. The I/O half (`stock-actor-flush.ts`) only executes the plan.
 */
import { assert } from '../assert.js';
import { errors, type AppError } from '../errors.js';
import { applyOp, judge, type PlannedEntry, type RunningState } from './stock-plan-ops.js';
import { expectedVersionOf, idempotencyKeyOf, keyedRequestOf, type KeyedRequest, type StockOp } from '../domain/stock-ops.js';
import { type ProductChanges, type ProductState } from '../domain/inventory.js';
import { type ReservationState } from '../domain/reservation.js';
import { type StoredResult } from '../domain/change-result.js';

export type { PlannedEntry } from './stock-plan-ops.js';

export type OpDecision =
  | { kind: 'apply'; entryIndex: number }
  | { kind: 'refuse'; error: AppError }
  /** A duplicate key within this flush: answer with the result of the operation at `opIndex`. */
  | { kind: 'replay-batch'; opIndex: number }
  /** A key already committed earlier: answer with its stored first result. */
  | { kind: 'replay-stored'; result: StoredResult }
  /** Judged in a later flush, against the version this flush commits. */
  | { kind: 'defer' };

export interface ProductPlan {
  productId: number;
  /** The row the plan was computed from. */
  base: ProductState;
  /** The state the plan was computed from; the UPDATE is guarded by its version. */
  baseVersion: number;
  baseStock: number;
  baseReserved: number;
  decisions: OpDecision[];
  entries: PlannedEntry[];
  netStock: number;
  netReserved: number;
  /** The fields an applied operator update sets; null when the plan has no update. */
  changes: ProductChanges | null;
}

const noReservations: ReadonlyMap<number, ReservationState> = new Map();

export function planProduct(
  state: ProductState,
  ops: readonly StockOp[],
  storedResults: ReadonlyMap<string, StoredResult>,
  /** The reservations its ops end, read under the product's row lock. */
  reservations: ReadonlyMap<number, ReservationState> = noReservations,
): ProductPlan {
  const plan: ProductPlan = {
    productId: state.productId, base: state, baseVersion: state.version, baseStock: state.stock, baseReserved: state.reserved,
    decisions: [], entries: [], netStock: 0, netReserved: 0, changes: null,
  };
  const running: RunningState = { stock: state.stock, reserved: state.reserved, finished: new Map() };
  const appliedKeys = new Map<string, number>(); // key → opIndex of the op that applies it
  let deferring = false;

  for (const [opIndex, op] of ops.entries()) {
    assert(op.productId === state.productId, 'an op was routed to the wrong product plan');
    if (deferring) {
      plan.decisions.push({ kind: 'defer' });
      continue;
    }
    const key = idempotencyKeyOf(op);
    if (key !== null) {
      const replay = replayOf(key, op, storedResults, appliedKeys, ops);
      if (replay !== null) {
        plan.decisions.push(replay);
        continue;
      }
    }
    // A compare-and-set must see the committed state it names, so it never shares a flush with
    // an earlier change: it waits, and so does everything behind it, to keep arrival order.
    if (expectedVersionOf(op) !== null && plan.entries.length > 0) {
      deferring = true;
      plan.decisions.push({ kind: 'defer' });
      continue;
    }
    const refusal = judge(state, running, op, reservations);
    if (refusal !== null) {
      plan.decisions.push({ kind: 'refuse', error: refusal });
      continue;
    }
    const entry = applyOp(running, op, opIndex, key, reservations);
    plan.decisions.push({ kind: 'apply', entryIndex: plan.entries.length });
    plan.entries.push(entry);
    if (key !== null) appliedKeys.set(key, opIndex);
    if (op.kind === 'update') {
      // Later ops must be judged against the status and limits this update sets: next flush.
      plan.changes = op.changes;
      deferring = true;
    }
  }

  plan.netStock = running.stock - state.stock;
  plan.netReserved = running.reserved - state.reserved;
  assert(plan.decisions.length === ops.length);
  assert(plan.entries.reduce((sum, entry) => sum + entry.delta, 0) === plan.netStock);
  assert(plan.entries.reduce((sum, entry) => sum + entry.reservedDelta, 0) === plan.netReserved);
  assert(running.stock >= running.reserved && running.reserved >= 0, 'a plan took available below 0');
  return plan;
}

function replayOf(
  key: string,
  op: StockOp,
  storedResults: ReadonlyMap<string, StoredResult>,
  appliedKeys: ReadonlyMap<string, number>,
  ops: readonly StockOp[],
): OpDecision | null {
  const stored = storedResults.get(key);
  if (stored !== undefined) return storedReplayOf(op, stored);
  const firstIndex = appliedKeys.get(key);
  if (firstIndex === undefined) return null;
  const first = keyedRequestOf(ops[firstIndex]!)!;
  return sameRequest(first, keyedRequestOf(op)!)
    ? { kind: 'replay-batch', opIndex: firstIndex }
    : { kind: 'refuse', error: errors.idempotencyConflict(describeKey(op), describeRequest(first)) };
}

/** The answer to a keyed op whose key already has a committed first result: replay it, or conflict. */
export function storedReplayOf(op: StockOp, stored: StoredResult): OpDecision {
  const first: KeyedRequest = { opType: stored.opType, delta: stored.delta, reservedDelta: stored.reservedDelta };
  return sameRequest(first, keyedRequestOf(op)!)
    ? { kind: 'replay-stored', result: stored }
    : { kind: 'refuse', error: errors.idempotencyConflict(describeKey(op), describeRequest(first)) };
}

function sameRequest(a: KeyedRequest, b: KeyedRequest): boolean {
  return a.opType === b.opType && a.delta === b.delta && a.reservedDelta === b.reservedDelta;
}

function describeRequest(request: KeyedRequest): string {
  return request.opType === 'reserve' ? `quantity ${request.reservedDelta}` : `delta ${request.delta}`;
}

function describeKey(op: StockOp): string {
  switch (op.kind) {
    case 'delta':
      return op.orderId !== null
        ? `order_id '${op.orderId}' (${op.opType}) on product ${op.productId}`
        : `idempotency_key '${op.idempotencyKey}' on product ${op.productId}`;
    case 'reserve': return `order_id '${op.orderId}' (reserve) on product ${op.productId}`;
    default: return `${op.kind} on product ${op.productId}`;
  }
}
