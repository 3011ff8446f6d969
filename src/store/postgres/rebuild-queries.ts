/**
 * The statement a rebuild worker streams (with pg-cursor, like a reconciliation span): the active
 * products of one product-id span, in product order, with what Redis must hold for each.
 * One portal per span, so the scan connection runs without a statement timeout (see the worker).
 */
export const rebuildSpanText = `
SELECT product_id, available, version
  FROM inventories
 WHERE status = 'active' AND product_id >= $1::bigint AND product_id < $2::bigint
 ORDER BY product_id`;

/** product_id, available, version */
export type RebuildRow = [number, number, number];
