/**
 * The snake_case shape of a change in an HTTP answer. The engine speaks domain results; this is the
 * one place that turns them into the contract's field names.
 */
import type { ChangeResult } from '../domain/change-result.js';

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
    product_id: result.product_id, delta: result.delta, before_stock: result.before_stock, after_stock: result.after_stock,
    stock: result.stock, reserved: result.reserved, available: result.available, version: result.version,
    log_id: result.log_id, replayed: result.replayed, reserved_delta: result.reserved_delta, reservation_id: result.reservation_id,
  };
}
