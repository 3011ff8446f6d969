// Proves order changes are seen like any other change: each stock crossing an order causes
// (stock.low on a hold, stock.out on the hold that empties available, stock.back_in_stock on a
// release) writes its webhook outbox row in the order's transaction, a refused hold and a confirm
// (available unchanged) write none; the reconciliation scan raises its alert on a product an
// order emptied and finds Redis equal to PostgreSQL; and the order metric counts each operation
// by result.
import { expect } from 'vitest';
import { appTest } from './helpers/app-test.js';
import { createProduct, sql, type TestApp } from './helpers/test-env.js';
import { call } from './helpers/api.js';
import { checkNow } from './helpers/reconcile-fixtures.js';
import { downUrl } from './helpers/webhook-receiver.js';

const down = await downUrl();
const it = appTest({
  notifications: {
    webhooks: [{ url: down, secret: 's', events: ['stock.low', 'stock.out', 'stock.back_in_stock'] }],
    // Deliveries are not under test here: the worker stays quiet.
    poll_interval_ms: 60_000,
  },
  reservations: { sweep_interval_ms: 3_600_000 },
  inventory: { low_stock_threshold: 0 },
  logging: { level: 'fatal' },
});

const events = (t: TestApp, productId: number) => sql<{ event_type: string; data: Record<string, number> }>(t.services,
  'SELECT event_type, data FROM webhook_outbox WHERE product_id = $1 ORDER BY id', [productId]);
const hold = (t: TestApp, orderId: string, items: { product_id: number; quantity: number }[]) =>
  call(t.app, 'POST', `/api/v1/orders/${orderId}/holds`, { items });

it('writes stock events in the order transaction, one per crossing, none for a refusal or a confirm', async ({ t }) => {
  await createProduct(t.app, { product_id: 1, stock: 5, min_stock: 2 });
  await createProduct(t.app, { product_id: 2, stock: 50 });
  expect((await hold(t, 'e-1', [{ product_id: 1, quantity: 3 }, { product_id: 2, quantity: 1 }])).status).toBe(201);
  expect((await events(t, 1)).map((row) => [row.event_type, row.data.available_before, row.data.available])).toEqual([['stock.low', 5, 2]]);
  expect(await events(t, 2)).toEqual([]);
  expect((await hold(t, 'e-refused', [{ product_id: 1, quantity: 3 }, { product_id: 2, quantity: 1 }])).status).toBe(409);
  expect((await hold(t, 'e-2', [{ product_id: 1, quantity: 2 }])).status).toBe(201);
  expect((await call(t.app, 'POST', '/api/v1/orders/e-1/release')).status).toBe(200);
  expect((await call(t.app, 'POST', '/api/v1/orders/e-2/confirm')).status).toBe(200);
  expect((await events(t, 1)).map((row) => [row.event_type, row.data.available_before, row.data.available])).toEqual([
    ['stock.low', 5, 2], ['stock.out', 2, 0], ['stock.back_in_stock', 0, 3],
  ]);
  expect(await sql(t.services, 'SELECT stock, reserved FROM inventories WHERE product_id = 1')).toEqual([{ stock: 3, reserved: 0 }]);
});

it('raises the out_of_stock alert on a product an order emptied, with Redis equal to PostgreSQL', async ({ t }) => {
  await createProduct(t.app, { product_id: 10, stock: 4 });
  expect((await hold(t, 'a-1', [{ product_id: 10, quantity: 4 }])).status).toBe(201);
  const report = await checkNow(t.app);
  expect(report.diffs_found).toBe(0);
  expect(await sql(t.services, "SELECT alert_type, status FROM inventory_alerts WHERE product_id = 10")).toEqual([{ alert_type: 'out_of_stock', status: 'pending' }]);
});

it('counts every order operation by result', async ({ t }) => {
  const count = async (operation: string, result: string) => {
    const metric = await t.services.metrics.registry.getSingleMetric('inventory_order_operations_total')!.get();
    return metric.values.find((value) => value.labels.operation === operation && value.labels.result === result)?.value ?? 0;
  };
  const before = { success: await count('hold', 'success'), refused: await count('hold', 'refused'), replayed: await count('hold', 'replayed') };
  await createProduct(t.app, { product_id: 20, stock: 1 });
  expect((await hold(t, 'm-1', [{ product_id: 20, quantity: 1 }])).status).toBe(201);
  expect((await hold(t, 'm-1', [{ product_id: 20, quantity: 1 }])).status).toBe(200);
  expect((await hold(t, 'm-2', [{ product_id: 20, quantity: 1 }])).status).toBe(409);
  expect({ success: await count('hold', 'success'), refused: await count('hold', 'refused'), replayed: await count('hold', 'replayed') })
    .toEqual({ success: before.success + 1, refused: before.refused + 1, replayed: before.replayed + 1 });
});
