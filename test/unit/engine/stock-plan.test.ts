/**
 * Proves the pure planner judges each op in arrival order against the running stock exactly like a
 * plain sequential model, on seeded random states and op lists (set TEST_SEED to replay a failure).
 */
import { describe, expect, it } from 'vitest';
import { planProduct, type ProductPlan } from '../../../src/engine/stock-plan.js';
import { deltaOpType, idempotencyKeyOf, type DeltaOp } from '../../../src/domain/stock-ops.js';
import type { ProductState } from '../../../src/domain/inventory.js';
import type { StoredResult } from '../../../src/domain/change-result.js';
import { randomInt, seededRandom, seedFromEnv } from '../../helpers/seeded-random.js';

function op(productId: number, delta: number, extra: Partial<DeltaOp> = {}): DeltaOp {
  return {
    kind: 'delta', productId, delta, opType: deltaOpType(delta), orderId: null, idempotencyKey: null,
    expectedVersion: null, reason: null, operator: null, traceId: null, ...extra,
  };
}

const state = (patch: Partial<ProductState> = {}): ProductState => ({
  productId: 7, stock: 10, reserved: 0, version: 5, status: 'active', minStock: 0, maxStock: 0, ...patch,
});

type ModelDecision = 'apply' | 'refuse:INSUFFICIENT_STOCK' | 'refuse:MAX_STOCK_EXCEEDED' | 'refuse:VERSION_CONFLICT'
  | 'refuse:IDEMPOTENCY_CONFLICT' | 'refuse:INVENTORY_LOCKED' | 'refuse:INVENTORY_INACTIVE' | 'replay' | 'defer';

/** The rules, written out sequentially and independently of the planner. */
function model(initial: ProductState, ops: DeltaOp[], stored: Map<string, StoredResult>): { decisions: ModelDecision[]; stock: number } {
  let stock = initial.stock;
  let appliedAny = false;
  let deferring = false;
  const firstDelta = new Map<string, number>();
  const decisions: ModelDecision[] = [];
  for (const o of ops) {
    if (deferring) { decisions.push('defer'); continue; }
    const key = idempotencyKeyOf(o);
    const seen = key === null ? undefined : stored.get(key)?.delta ?? firstDelta.get(key);
    if (seen !== undefined) { decisions.push(seen === o.delta ? 'replay' : 'refuse:IDEMPOTENCY_CONFLICT'); continue; }
    if (o.expectedVersion !== null && appliedAny) { deferring = true; decisions.push('defer'); continue; }
    if (initial.status === 'locked') { decisions.push('refuse:INVENTORY_LOCKED'); continue; }
    if (initial.status === 'inactive') { decisions.push('refuse:INVENTORY_INACTIVE'); continue; }
    if (o.expectedVersion !== null && o.expectedVersion !== initial.version) { decisions.push('refuse:VERSION_CONFLICT'); continue; }
    if (o.delta < 0 && stock - initial.reserved + o.delta < 0) { decisions.push('refuse:INSUFFICIENT_STOCK'); continue; }
    if (o.delta > 0 && initial.maxStock > 0 && stock + o.delta > initial.maxStock) { decisions.push('refuse:MAX_STOCK_EXCEEDED'); continue; }
    stock += o.delta;
    appliedAny = true;
    if (key !== null) firstDelta.set(key, o.delta);
    decisions.push('apply');
  }
  return { decisions, stock };
}

function summarise(plan: ProductPlan): ModelDecision[] {
  return plan.decisions.map((decision) => {
    switch (decision.kind) {
      case 'apply': return 'apply';
      case 'refuse': return `refuse:${decision.error.code}` as ModelDecision;
      case 'replay-batch': case 'replay-stored': return 'replay';
      case 'defer': return 'defer';
    }
  });
}

describe('planProduct', () => {
  it('applies a delta that exactly empties stock and refuses the next one', () => {
    const plan = planProduct(state({ stock: 3 }), [op(7, -3), op(7, -1)], new Map());
    expect(summarise(plan)).toEqual(['apply', 'refuse:INSUFFICIENT_STOCK']);
    expect(plan.netStock).toBe(-3);
    expect(plan.entries[0]).toMatchObject({ beforeStock: 3, afterStock: 0 });
  });

  it('counts reserved stock as unavailable', () => {
    const plan = planProduct(state({ stock: 10, reserved: 8 }), [op(7, -3), op(7, -2)], new Map());
    expect(summarise(plan)).toEqual(['refuse:INSUFFICIENT_STOCK', 'apply']);
  });

  it('defers a compare-and-set behind an earlier change, and everything after it', () => {
    const plan = planProduct(state(), [op(7, -1), op(7, -1, { expectedVersion: 5 }), op(7, -1)], new Map());
    expect(summarise(plan)).toEqual(['apply', 'defer', 'defer']);
  });

  it('replays a duplicate key in the batch and refuses the same key with another delta', () => {
    const ops = [op(7, -2, { orderId: 'a' }), op(7, -2, { orderId: 'a' }), op(7, -5, { orderId: 'a' })];
    const plan = planProduct(state(), ops, new Map());
    expect(plan.decisions.map((d) => d.kind)).toEqual(['apply', 'replay-batch', 'refuse']);
    expect(plan.netStock).toBe(-2);
  });

  it('matches the sequential model on seeded random inputs', () => {
    const seed = seedFromEnv();
    const random = seededRandom(seed);
    for (let round = 0; round < 2000; round += 1) {
      const initial = state({
        stock: randomInt(random, 0, 30),
        version: randomInt(random, 1, 4),
        status: random() < 0.9 ? 'active' : random() < 0.5 ? 'locked' : 'inactive',
        maxStock: random() < 0.5 ? 0 : randomInt(random, 30, 45),
      });
      initial.reserved = randomInt(random, 0, initial.stock);
      const ops = Array.from({ length: randomInt(random, 1, 25) }, () => {
        const delta = (random() < 0.75 ? -1 : 1) * randomInt(random, 1, 6);
        return op(7, delta, {
          orderId: random() < 0.4 ? `o${randomInt(random, 1, 5)}` : null,
          expectedVersion: random() < 0.1 ? randomInt(random, 1, 4) : null,
        });
      });
      const stored = new Map<string, StoredResult>();
      if (random() < 0.3) {
        const delta = -randomInt(random, 1, 6);
        stored.set(`o:deduct:o1`, { op_type: 'deduct', product_id: 7, delta, reserved_delta: 0, reservation_id: null, before_stock: 0, after_stock: 0, stock: 0, reserved: 0, available: 0, version: 1, log_id: 1 });
      }
      const expected = model(initial, ops, stored);
      const plan = planProduct(initial, ops, stored);
      const context = `seed ${seed} round ${round}`;
      expect(summarise(plan), context).toEqual(expected.decisions);
      expect(initial.stock + plan.netStock, context).toBe(expected.stock);
      for (let i = 1; i < plan.entries.length; i += 1) {
        expect(plan.entries[i]!.beforeStock, context).toBe(plan.entries[i - 1]!.afterStock);
      }
      expect(initial.stock + plan.netStock - initial.reserved, context).toBeGreaterThanOrEqual(0);
    }
  });
});
