/** Reservations: available stock held for an order until it is confirmed, released or expires. */

export type ReservationStatus = 'pending' | 'confirmed' | 'released' | 'expired';
export const reservationStatuses: readonly ReservationStatus[] = ['pending', 'confirmed', 'released', 'expired'];

/** A reservation as a flush reads it, under its product's row lock. */
export interface ReservationState {
  id: number;
  status: ReservationStatus;
  quantity: number;
  orderId: string;
  /** `expires_at <= now()` when it was read. */
  due: boolean;
  expiresAt: Date;
  createdAt: Date;
}

/** A reservation as a commit left it (the answer of reserve, confirm and release). */
export interface ReservationRecord {
  reservationId: number;
  productId: number;
  orderId: string;
  quantity: number;
  status: ReservationStatus;
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
}
