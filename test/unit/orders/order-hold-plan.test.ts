// Proves the pure decisions of order holds: which lines of a cart are refused and why (each line
// judged on its own product, every failing line reported, in the order asked), the fingerprint a
// retry is recognised by, and what confirm, release and expiry do in every state of a hold.
import { describe, expect, it } from 'vitest';
import { orderFingerprint, orderHoldStatuses, type OrderFinish } from '../../../src/domain/order-hold.js';
import { confirmRefusal, decideFinish, refusedLines, type LockedProduct } from '../../../src/orders/order-hold-plan.js';

const product = (productId: number, stock: number, reserved = 0, patch: Partial<LockedProduct> = {}): LockedProduct =>
  ({ productId, stock, reserved, status: 'active', orderReserved: false, ...patch });

describe('refusedLines', () => {
  const products = new Map([
    [1, product(1, 10, 4)], [2, product(2, 5)], [3, product(3, 5, 0, { status: 'locked' })],
    [4, product(4, 5, 0, { status: 'inactive' })], [5, product(5, 5, 0, { orderReserved: true })],
  ]);

  it('accepts a cart whose every line fits, a line that exactly empties available included', () => {
    expect(refusedLines([{ productId: 1, quantity: 6 }, { productId: 2, quantity: 5 }], products)).toEqual([]);
  });

  it('reports every failing line with its own code, in the order asked', () => {
    const refused = refusedLines([
      { productId: 4, quantity: 1 }, { productId: 1, quantity: 7 }, { productId: 2, quantity: 1 }, { productId: 9, quantity: 1 },
      { productId: 3, quantity: 1 }, { productId: 5, quantity: 1 },
    ], products);
    expect(refused.map((line) => [line.productId, line.error.code])).toEqual([
      [4, 'INVENTORY_INACTIVE'], [1, 'INSUFFICIENT_STOCK'], [9, 'INVENTORY_NOT_FOUND'], [3, 'INVENTORY_LOCKED'], [5, 'RESERVATION_EXISTS'],
    ]);
    expect(refused[1]!.error.message).toContain('6 available');
  });
});

describe('confirmRefusal', () => {
  it('lets a confirm of active products through and names the first locked or inactive product in the order given', () => {
    expect(confirmRefusal([{ productId: 1, status: 'active' }, { productId: 2, status: 'active' }])).toBeNull();
    const refusal = confirmRefusal([{ productId: 1, status: 'active' }, { productId: 2, status: 'inactive' }, { productId: 3, status: 'locked' }]);
    expect([refusal?.code, refusal?.statusCode, refusal?.message]).toEqual(['INVENTORY_INACTIVE', 409, expect.stringContaining('Product 2')]);
    expect(confirmRefusal([{ productId: 3, status: 'locked' }])?.statusCode).toBe(423);
  });
});

describe('orderFingerprint', () => {
  it('is the same for the same lines in any order and differs for any other cart', () => {
    const a = orderFingerprint([{ productId: 2, quantity: 1 }, { productId: 10, quantity: 3 }]);
    expect(orderFingerprint([{ productId: 10, quantity: 3 }, { productId: 2, quantity: 1 }])).toBe(a);
    expect(a).toBe('2x1,10x3');
    expect(orderFingerprint([{ productId: 2, quantity: 1 }, { productId: 10, quantity: 4 }])).not.toBe(a);
    expect(orderFingerprint([{ productId: 2, quantity: 1 }])).not.toBe(a);
  });
});

describe('decideFinish', () => {
  // Every state × every operation × due or not: the whole table, so a new state or operation must be decided here.
  const expected: Record<string, Record<OrderFinish, [string, string]>> = {
    held: { confirm: ['apply', 'ORDER_HOLD_EXPIRED'], release: ['apply', 'apply'], expire: ['ORDER_HOLD_NOT_EXPIRED', 'apply'] },
    confirmed: { confirm: ['replay', 'replay'], release: ['ORDER_NOT_HELD', 'ORDER_NOT_HELD'], expire: ['ORDER_NOT_HELD', 'ORDER_NOT_HELD'] },
    released: { confirm: ['ORDER_NOT_HELD', 'ORDER_NOT_HELD'], release: ['replay', 'replay'], expire: ['ORDER_NOT_HELD', 'ORDER_NOT_HELD'] },
    expired: { confirm: ['ORDER_HOLD_EXPIRED', 'ORDER_HOLD_EXPIRED'], release: ['replay', 'replay'], expire: ['ORDER_NOT_HELD', 'ORDER_NOT_HELD'] },
  };
  for (const status of orderHoldStatuses) {
    for (const finish of ['confirm', 'release', 'expire'] as const) {
      it(`${finish} of a ${status} hold`, () => {
        const outcome = [false, true].map((due) => {
          const decision = decideFinish('o', finish, status, due);
          return decision.kind === 'refuse' ? decision.error.code : decision.kind;
        });
        expect(outcome).toEqual(expected[status]![finish]);
      });
    }
  }
});
