// Proves the pure plan keeps its invariants with reservation and update ops mixed into deltas:
// seeded random op sequences (printed seed) checked for an unbroken before/after chain, reserved
// never below 0 nor above stock, each reservation ended at most once and only from pending, the
// right refusal code for every ended/expired one, and nothing applied after an operator update.
import { describe, expect, it } from 'vitest';
import { planProduct } from '../../../src/engine/stock-plan.js';
import type { ProductState } from '../../../src/domain/inventory.js';
import type { ReservationState, ReservationStatus } from '../../../src/domain/reservation.js';
import type { StockOp } from '../../../src/domain/stock-ops.js';
import { seededRandom } from '../../helpers/seeded-random.js';

const seed = Number(process.env.TEST_SEED ?? Date.now() % 2 ** 31);
const audit = { reason: null, operator: null, traceId: null };
const statuses: ReservationStatus[] = ['pending', 'pending', 'pending', 'confirmed', 'released', 'expired'];

function randomCase(random: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const reservations = new Map<number, ReservationState>();
  let reserved = 0;
  for (let id = 1; id <= 8; id += 1) {
    const status = pick(statuses);
    const quantity = 1 + Math.floor(random() * 5);
    if (status === 'pending') reserved += quantity;
    reservations.set(id, { id, status, quantity, orderId: `o${id}`, due: random() < 0.25 });
  }
  const state: ProductState = {
    productId: 1, stock: reserved + Math.floor(random() * 20), reserved, version: 7,
    status: random() < 0.9 ? 'active' : pick(['locked', 'inactive'] as const), minStock: 0, maxStock: random() < 0.3 ? 60 : 0,
  };
  const ops: StockOp[] = Array.from({ length: 1 + Math.floor(random() * 25) }, (): StockOp => {
    const roll = random();
    const reservationId = 1 + Math.floor(random() * 9); // 9 is unknown
    if (roll < 0.3) return { kind: 'delta', productId: 1, delta: pick([-7, -3, -1, 1, 4, 9]), opType: 'add', orderId: null, idempotencyKey: null, expectedVersion: null, ...audit };
    if (roll < 0.5) return { kind: 'reserve', productId: 1, quantity: 1 + Math.floor(random() * 6), orderId: `r${Math.floor(random() * 4)}`, ttlSeconds: 60, ...audit };
    if (roll < 0.9) return { kind: pick(['confirm', 'release', 'expire'] as const), productId: 1, reservationId, ...audit };
    return { kind: 'update', productId: 1, expectedVersion: random() < 0.7 ? 7 : 6, changes: { productName: null, status: null, minStock: null, maxStock: null, stock: random() < 0.5 ? Math.floor(random() * 40) : null }, ...audit };
  }).map((op) => (op.kind === 'delta' ? { ...op, opType: op.delta < 0 ? 'deduct' : 'add' } : op));
  return { state, ops, reservations };
}

describe(`planProduct with reservations and updates (seed ${seed}; rerun with TEST_SEED=${seed})`, () => {
  it('keeps its invariants over 3,000 random cases', () => {
    const random = seededRandom(seed);
    for (let caseIndex = 0; caseIndex < 3000; caseIndex += 1) {
      const { state, ops, reservations } = randomCase(random);
      const context = `seed ${seed}, case ${caseIndex}`;
      const plan = planProduct(state, ops, new Map(), reservations);
      let stock = state.stock;
      let reserved = state.reserved;
      let updateApplied = false;
      const ended = new Set<number>();
      for (const [index, decision] of plan.decisions.entries()) {
        const op = ops[index]!;
        if (updateApplied) expect(decision.kind, context).toBe('defer');
        if (decision.kind === 'apply') {
          const entry = plan.entries[decision.entryIndex]!;
          expect(entry.beforeStock, context).toBe(stock);
          stock = entry.afterStock;
          reserved += entry.reservedDelta;
          expect(reserved, context).toBeGreaterThanOrEqual(0);
          expect(stock, context).toBeGreaterThanOrEqual(reserved);
          if (op.kind === 'confirm' || op.kind === 'release' || op.kind === 'expire') {
            const reservation = reservations.get(op.reservationId)!;
            expect(reservation.status, context).toBe('pending');
            expect(ended.has(reservation.id), context).toBe(false);
            expect(reservation.due, context).toBe(op.kind === 'expire');
            ended.add(reservation.id);
            expect(entry.reservedDelta, context).toBe(-reservation.quantity);
            expect(entry.delta, context).toBe(op.kind === 'confirm' ? -reservation.quantity : 0);
          }
          if (op.kind === 'update') {
            expect(decision.entryIndex, context).toBe(0);
            updateApplied = true;
          }
        }
        if (decision.kind === 'refuse' && (op.kind === 'confirm' || op.kind === 'release' || op.kind === 'expire')) {
          const reservation = reservations.get(op.reservationId);
          const code = decision.error.code;
          // A confirm deducts stock, so the product's status is judged first; release and expire only free it.
          if (op.kind === 'confirm' && state.status !== 'active') expect(code, context).toMatch(/^INVENTORY_(LOCKED|INACTIVE)$/);
          else if (reservation === undefined) expect(code, context).toBe('RESERVATION_NOT_FOUND');
          else if (reservation.status !== 'pending' || ended.has(reservation.id)) expect(code, context).toBe('RESERVATION_NOT_PENDING');
          else expect(code, context).toBe(op.kind === 'expire' ? 'RESERVATION_NOT_EXPIRED' : 'RESERVATION_EXPIRED');
        }
      }
      expect(stock - state.stock, context).toBe(plan.netStock);
      expect(reserved - state.reserved, context).toBe(plan.netReserved);
    }
  });
});
