/**
 * When a product deserves an alert, at which level, and the sentence an operator reads. Pure: the
 * reconciliation worker applies these to each row it scans and each diff it records.
 *
 * - `out_of_stock` (error): available is 0. It replaces `low_stock`, which would say less.
 * - `low_stock` (warning): 0 < available ≤ min_stock, or ≤ `inventory.low_stock_threshold` when
 *   min_stock is 0 (the scan query works out that threshold per row).
 * - `diff_alert`: warning, or error when |diff| > `health_check.alert_threshold`.
 */
import { diffLevel, type NewAlert } from '../domain/alerts.js';

/** `lowThreshold` is the scan's per-row threshold when available is at or below it, else null. */
export function stockAlertOf(productId: number, available: number, lowThreshold: number | null): NewAlert | null {
  if (available === 0) {
    return { productId, type: 'out_of_stock', level: 'error', message: `Product ${productId} is out of stock (0 available).` };
  }
  if (lowThreshold === null) return null;
  return {
    productId, type: 'low_stock', level: 'warning',
    message: `Product ${productId} has ${available} available, at or below its low-stock threshold of ${lowThreshold}.`,
  };
}

export function diffAlertOf(productId: number, dbAvailable: number, redis: number | null, diff: number, alertThreshold: number): NewAlert {
  const redisText = redis === null ? 'no value (key missing)' : String(redis);
  const sign = diff > 0 ? '+' : '';
  return {
    productId, type: 'diff_alert', level: diffLevel(diff, alertThreshold),
    message: `Redis holds ${redisText} for product ${productId} but PostgreSQL has ${dbAvailable} available (diff ${sign}${diff}).`,
  };
}
