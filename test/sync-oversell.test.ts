/**
 * Proves a flash sale cannot oversell: 2,000 concurrent -1 deltas on a product holding 1,500 give
 * exactly 1,500 successes and 500 INSUFFICIENT_STOCK, final stock 0, 1,500 log rows summing to
 * -1,500, and one version step per flush, with far fewer flushes than requests.
 */
import { expect } from 'vitest';
import { appTest } from './helpers/app-test.js';
import { createProduct, sql, sync } from './helpers/test-env.js';

const it = appTest();

it('2,000 concurrent -1 on 1,500 in stock: exactly 1,500 succeed and stock ends at 0', async ({ t }) => {
  await createProduct(t.app, { product_id: 42, stock: 1500 });
  const answers = await Promise.all(Array.from({ length: 2000 }, (_, i) =>
    sync(t.app, { product_id: 42, delta: -1, order_id: `order-${i}` })));

  const ok = answers.filter((a) => a.status === 200);
  const refused = answers.filter((a) => a.status === 409);
  expect(ok).toHaveLength(1500);
  expect(refused).toHaveLength(500);
  expect(refused.every((a) => a.body.code === 'INSUFFICIENT_STOCK')).toBe(true);
  expect(answers.every((a) => a.status === 200 || a.status === 409)).toBe(true);

  const [row] = await sql(t.services, 'SELECT stock, available, version FROM inventories WHERE product_id = 42');
  expect(row).toMatchObject({ stock: 0, available: 0 });
  const [logs] = await sql(t.services,
    `SELECT count(*)::int AS rows, sum(delta)::int AS total, count(DISTINCT flush_id)::int AS flushes
       FROM inventory_logs WHERE product_id = 42 AND op_type = 'deduct'`);
  expect(logs).toMatchObject({ rows: 1500, total: -1500 });
  // version starts at 1 and rises once per applied flush; batching means far fewer flushes than deltas.
  expect(row!.version - 1).toBe(logs!.flushes);
  expect(logs!.flushes).toBeLessThan(1500);

  // Each success saw a distinct before_stock: the running sum, in arrival order, never reused.
  const befores = new Set(ok.map((a) => a.body.data.before_stock));
  expect(befores.size).toBe(1500);
  expect(await t.services.redis.get(t.services.keys.stock(42))).toBe('0');
});
