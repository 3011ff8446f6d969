/**
 * Order holds: every line of a cart reserved together, then confirmed, released or expired
 * together. The lines are rows of `inventory_reservations` (marked `order_hold`); the order's own
 * row in `order_holds` carries the state of the whole and the fingerprint its retries are checked
 * against.
 */
import { assertNever } from '../assert.js';

export type OrderHoldStatus = 'held' | 'confirmed' | 'released' | 'expired';
export const orderHoldStatuses: readonly OrderHoldStatus[] = ['held', 'confirmed', 'released', 'expired'];

/** What ends a hold; each leaves it in one final status. */
export type OrderFinish = 'confirm' | 'release' | 'expire';

export function finalStatusOf(finish: OrderFinish): Exclude<OrderHoldStatus, 'held'> {
  switch (finish) {
    case 'confirm': return 'confirmed';
    case 'release': return 'released';
    case 'expire': return 'expired';
    default: return assertNever(finish);
  }
}

/** One line as asked: a product and how many of it to hold. */
export interface OrderLineRequest {
  productId: number;
  quantity: number;
}

/** One line as stored: its reservation and that reservation's status. */
export interface OrderLine extends OrderLineRequest {
  reservationId: number;
  status: 'pending' | 'confirmed' | 'released' | 'expired';
}

/** An order hold as it is (or as the commit that made or ended it left it). */
export interface OrderHold {
  orderId: string;
  status: OrderHoldStatus;
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
  /** In product order. */
  lines: OrderLine[];
}

/**
 * The lines in product order, as one string: a retry of the same cart (in any line order) has the
 * same fingerprint, another cart under the same order id does not. The TTL is not part of it: a
 * retry may compute its TTL afresh, and the hold it replays keeps its first expiry.
 */
export function orderFingerprint(lines: readonly OrderLineRequest[]): string {
  return [...lines].sort((a, b) => a.productId - b.productId).map((line) => `${line.productId}x${line.quantity}`).join(',');
}
