/** Alerts the health checker raises: their kinds and levels, and how a difference picks its level. */

export type AlertType = 'low_stock' | 'out_of_stock' | 'diff_alert';
export type AlertLevel = 'info' | 'warning' | 'error';

/** An alert a rule decided to raise, before it is stored. */
export interface NewAlert {
  productId: number;
  type: AlertType;
  level: AlertLevel;
  message: string;
}

export function alertKey(type: AlertType, level: AlertLevel): string {
  return `${type}:${level}`;
}

/** A difference beyond `health_check.alert_threshold` is an error, any other a warning. */
export function diffLevel(diff: number, alertThreshold: number): AlertLevel {
  return Math.abs(diff) > alertThreshold ? 'error' : 'warning';
}
