/**
 * The snake_case shapes of the engine's domain results in HTTP answers: the one place that turns
 * them into the contract's field names. Write answers are built from what the commit left (the
 * engine returns it), never from a second read that could fail after the change committed.
 */
import type { FromSchema } from 'json-schema-to-ts';
import type { ChangeResult } from '../domain/change-result.js';
import type { InventoryRecord } from '../domain/inventory.js';
import type { ReservationRecord } from '../domain/reservation.js';
import type { reservationChangeSchema, reservationSchema } from './routes/reservations/reservation-schemas.js';
import type { changeResultSchema } from './routes/sync/sync-schemas.js';
import type { inventorySchema } from './schemas.js';

/** The answer types come from the answer schemas; the serialiser writes a Date as date-time. */
type WithDates = { deserialize: [{ pattern: { type: 'string'; format: 'date-time' }; output: Date }] };

export type ChangeBody = FromSchema<typeof changeResultSchema>;
export type ReservationBody = FromSchema<typeof reservationSchema, WithDates>;
export type ReservationChangeBody = FromSchema<typeof reservationChangeSchema, WithDates>;
export type InventoryBody = FromSchema<typeof inventorySchema, WithDates>;

export function changeBody(result: ChangeResult): ChangeBody {
  return {
    product_id: result.productId, delta: result.delta, before_stock: result.beforeStock, after_stock: result.afterStock,
    stock: result.stock, reserved: result.reserved, available: result.available, version: result.version,
    log_id: result.logId, replayed: result.replayed,
  };
}

export function reservationBody(reservation: ReservationRecord): ReservationBody {
  return {
    reservation_id: reservation.reservationId, product_id: reservation.productId, order_id: reservation.orderId,
    quantity: reservation.quantity, status: reservation.status, expires_at: reservation.expiresAt,
    created_at: reservation.createdAt, updated_at: reservation.updatedAt, hold_order_id: null,
  };
}

export function inventoryBody(record: InventoryRecord): InventoryBody {
  return {
    product_id: record.productId, product_name: record.productName, stock: record.stock, reserved: record.reserved,
    available: record.available, version: record.version, status: record.status, min_stock: record.minStock,
    max_stock: record.maxStock, created_at: record.createdAt, updated_at: record.updatedAt,
  };
}
