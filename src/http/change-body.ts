/**
 * The snake_case shapes of the engine's domain results in HTTP answers: the one place that turns
 * them into the contract's field names. Write answers are built from what the commit left (the
 * engine returns it), never from a second read that could fail after the change committed.
 */
import type { ChangeResult } from '../domain/change-result.js';
import type { InventoryRecord } from '../domain/inventory.js';
import type { ReservationRecord, ReservationStatus } from '../domain/reservation.js';
import type { InventoryStatus } from '../domain/inventory.js';

export interface ChangeBody {
  product_id: number;
  delta: number;
  before_stock: number;
  after_stock: number;
  stock: number;
  reserved: number;
  available: number;
  version: number;
  log_id: number;
  replayed: boolean;
  reserved_delta: number;
  reservation_id: number | null;
}

export function changeBody(result: ChangeResult): ChangeBody {
  return {
    product_id: result.productId, delta: result.delta, before_stock: result.beforeStock, after_stock: result.afterStock,
    stock: result.stock, reserved: result.reserved, available: result.available, version: result.version,
    log_id: result.logId, replayed: result.replayed, reserved_delta: result.reservedDelta, reservation_id: result.reservationId,
  };
}

export interface ReservationBody {
  reservation_id: number;
  product_id: number;
  order_id: string;
  quantity: number;
  status: ReservationStatus;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
  /** Always null here: the engine never changes a line of an order hold (docs/orders.md). */
  hold_order_id: string | null;
}

export function reservationBody(reservation: ReservationRecord): ReservationBody {
  return {
    reservation_id: reservation.reservationId, product_id: reservation.productId, order_id: reservation.orderId,
    quantity: reservation.quantity, status: reservation.status, expires_at: reservation.expiresAt,
    created_at: reservation.createdAt, updated_at: reservation.updatedAt, hold_order_id: null,
  };
}

export interface InventoryBody {
  product_id: number;
  product_name: string;
  stock: number;
  reserved: number;
  available: number;
  version: number;
  status: InventoryStatus;
  min_stock: number;
  max_stock: number;
  created_at: Date;
  updated_at: Date;
}

export function inventoryBody(record: InventoryRecord): InventoryBody {
  return {
    product_id: record.productId, product_name: record.productName, stock: record.stock, reserved: record.reserved,
    available: record.available, version: record.version, status: record.status, min_stock: record.minStock,
    max_stock: record.maxStock, created_at: record.createdAt, updated_at: record.updatedAt,
  };
}
