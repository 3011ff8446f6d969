/**
 * The decisions of order holds, pure: which lines of a cart can be held against the products'
 * locked rows, and what a confirm, release or expiry does to a hold in a given state. The I/O
 * (`order-holds.ts`) only executes them.
 */
import { assertNever } from '../assert.js';
import { AppError, errors } from '../errors.js';
import type { InventoryStatus } from '../domain/inventory.js';
import type { OrderFinish, OrderHoldStatus, OrderLineRequest } from '../domain/order-hold.js';

/** A product's row as the hold read it under its row lock. */
export interface LockedProduct {
  productId: number;
  stock: number;
  reserved: number;
  status: InventoryStatus;
  /** This order already holds a reservation of the product (a single reserve under the same order id). */
  orderReserved: boolean;
}

export interface LineRefusal {
  productId: number;
  quantity: number;
  error: AppError;
}

/**
 * Every line that cannot be held, in the order asked; empty when the whole cart can be held. Each
 * line is judged on its own product's row: products are distinct (duplicates are refused before),
 * so no line's hold changes another line's product.
 */
export function refusedLines(lines: readonly OrderLineRequest[], products: ReadonlyMap<number, LockedProduct>): LineRefusal[] {
  const refusals: LineRefusal[] = [];
  for (const line of lines) {
    const error = lineRefusal(line, products.get(line.productId));
    if (error !== null) refusals.push({ productId: line.productId, quantity: line.quantity, error });
  }
  return refusals;
}

function lineRefusal(line: OrderLineRequest, product: LockedProduct | undefined): AppError | null {
  if (product === undefined) return errors.inventoryNotFound(line.productId);
  const refusal = statusRefusal(product.productId, product.status);
  if (refusal !== null) return refusal;
  if (product.orderReserved) return errors.orderLineReservedAlready(line.productId);
  const available = product.stock - product.reserved;
  return line.quantity > available ? errors.insufficientStockToReserve(line.productId, available, line.quantity) : null;
}

/** A locked or inactive product refuses stock changes (the engine's rule, `stock-plan-ops.ts`). */
function statusRefusal(productId: number, status: InventoryStatus): AppError | null {
  switch (status) {
    case 'active': return null;
    case 'locked': return errors.inventoryLocked(productId);
    case 'inactive': return errors.inventoryInactive(productId);
    default: return assertNever(status);
  }
}

/**
 * Why a confirm of these lines' products is refused, or null. A confirm deducts stock, so, as for
 * a single reservation, a locked or inactive product refuses it (the first in product order is
 * named); a release or expiry only frees stock and is never held up by a status.
 */
export function confirmRefusal(products: readonly { productId: number; status: InventoryStatus }[]): AppError | null {
  for (const product of products) {
    const refusal = statusRefusal(product.productId, product.status);
    if (refusal !== null) return refusal;
  }
  return null;
}

/** What ending a hold does: apply it, answer the state it already reached (a retry), or refuse. */
export type FinishDecision = { kind: 'apply' } | { kind: 'replay' } | { kind: 'refuse'; error: AppError };

/**
 * `due` is `expires_at <= now()` read under the order's row lock. A held order past its expiry
 * is the sweeper's: a confirm is refused (its stock is about to be freed), a release still
 * applies (the caller wants what expiry would do anyway). Releasing an expired hold answers its
 * state: nothing of it is held, which is what the release asked for.
 */
export function decideFinish(orderId: string, finish: OrderFinish, status: OrderHoldStatus, due: boolean): FinishDecision {
  switch (status) {
    case 'held':
      if (finish === 'expire' && !due) return { kind: 'refuse', error: errors.orderHoldNotExpired(orderId) };
      if (finish === 'confirm' && due) return { kind: 'refuse', error: errors.orderHoldExpired(orderId) };
      return { kind: 'apply' };
    case 'confirmed':
      return finish === 'confirm' ? { kind: 'replay' } : { kind: 'refuse', error: errors.orderNotHeld(orderId, status) };
    case 'released':
      return finish === 'release' ? { kind: 'replay' } : { kind: 'refuse', error: errors.orderNotHeld(orderId, status) };
    case 'expired':
      return finish === 'confirm'
        ? { kind: 'refuse', error: errors.orderHoldExpired(orderId) }
        : finish === 'release' ? { kind: 'replay' } : { kind: 'refuse', error: errors.orderNotHeld(orderId, status) };
    default: return assertNever(status);
  }
}
