/**
 * The decision half of a flush, pure and synchronous: given one product's state and its pending
 * operations in arrival order, decide which apply, which are refused and which wait for the next
 * flush, against the running stock. The I/O half (`stock-actor-flush.ts`) only executes the plan.
 */
import { assert, assertNever } from '../assert.js';
import { AppError, errors } from '../errors.js';
import {
  idempotencyKeyOf, type LogOpType, type ProductState, type StockOp, type StoredResult,
} from './stock-types.js';

/** One log row to write: an applied operation with the stock before and after it. */
export interface PlannedEntry {
  opIndex: number;
  opType: LogOpType;
  delta: number;
  reservedDelta: number;
  beforeStock: number;
  afterStock: number;
  orderId: string | null;
  reason: string | null;
  operator: string | null;
  traceId: string | null;
  idemKey: string | null;
}

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
  /** The state the plan was computed from; the UPDATE is guarded by its version. */
  baseVersion: number;
  baseStock: number;
  baseReserved: number;
  decisions: OpDecision[];
  entries: PlannedEntry[];
  netStock: number;
  netReserved: number;
}

export function planProduct(
  state: ProductState,
  ops: readonly StockOp[],
  storedResults: ReadonlyMap<string, StoredResult>,
): ProductPlan {
  const plan: ProductPlan = {
    productId: state.productId, baseVersion: state.version, baseStock: state.stock, baseReserved: state.reserved,
    decisions: [], entries: [], netStock: 0, netReserved: 0,
  };
  const running = { stock: state.stock, reserved: state.reserved };
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
    if (op.expectedVersion !== null && plan.entries.length > 0) {
      deferring = true;
      plan.decisions.push({ kind: 'defer' });
      continue;
    }
    const refusal = judge(state, running, op);
    if (refusal !== null) {
      plan.decisions.push({ kind: 'refuse', error: refusal });
      continue;
    }
    const entry = applyOp(running, op, opIndex, key);
    plan.decisions.push({ kind: 'apply', entryIndex: plan.entries.length });
    plan.entries.push(entry);
    if (key !== null) appliedKeys.set(key, opIndex);
  }

  plan.netStock = running.stock - state.stock;
  plan.netReserved = running.reserved - state.reserved;
  assert(plan.decisions.length === ops.length);
  assert(plan.entries.reduce((sum, entry) => sum + entry.delta, 0) === plan.netStock);
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
  if (stored !== undefined) {
    return stored.delta === op.delta && stored.op_type === op.opType
      ? { kind: 'replay-stored', result: stored }
      : { kind: 'refuse', error: errors.idempotencyConflict(describeKey(op), `delta ${stored.delta}`) };
  }
  const firstIndex = appliedKeys.get(key);
  if (firstIndex === undefined) return null;
  const first = ops[firstIndex]!;
  return first.delta === op.delta && first.opType === op.opType
    ? { kind: 'replay-batch', opIndex: firstIndex }
    : { kind: 'refuse', error: errors.idempotencyConflict(describeKey(op), `delta ${first.delta}`) };
}

function describeKey(op: StockOp): string {
  return op.orderId !== null
    ? `order_id '${op.orderId}' (${op.opType}) on product ${op.productId}`
    : `idempotency_key '${op.idempotencyKey}' on product ${op.productId}`;
}

/** The refusal of `op` against the running state, or null when it may apply. */
function judge(state: ProductState, running: { stock: number; reserved: number }, op: StockOp): AppError | null {
  switch (state.status) {
    case 'active': break;
    case 'locked': return errors.inventoryLocked(state.productId);
    case 'inactive': return errors.inventoryInactive(state.productId);
    default: assertNever(state.status);
  }
  if (op.expectedVersion !== null && op.expectedVersion !== state.version) {
    return errors.versionConflict(state.productId, op.expectedVersion, state.version);
  }
  switch (op.kind) {
    case 'delta': {
      const available = running.stock - running.reserved;
      if (op.delta < 0 && available + op.delta < 0) {
        return errors.insufficientStock(state.productId, available, op.delta);
      }
      if (op.delta > 0 && state.maxStock > 0 && running.stock + op.delta > state.maxStock) {
        return errors.maxStockExceeded(state.productId, running.stock, op.delta, state.maxStock);
      }
      return null;
    }
    default: return assertNever(op.kind);
  }
}

function applyOp(running: { stock: number; reserved: number }, op: StockOp, opIndex: number, idemKey: string | null): PlannedEntry {
  switch (op.kind) {
    case 'delta': {
      const beforeStock = running.stock;
      running.stock += op.delta;
      return {
        opIndex, opType: op.opType, delta: op.delta, reservedDelta: 0, beforeStock, afterStock: running.stock,
        orderId: op.orderId, reason: op.reason, operator: op.operator, traceId: op.traceId, idemKey,
      };
    }
    default: return assertNever(op.kind);
  }
}
