/**
 * Proves a run raises low_stock and out_of_stock alerts from the same scan at the documented
 * boundaries (available 0; ≤ min_stock; ≤ low_stock_threshold when min_stock is 0), keeps one
 * pending alert per product and type across runs, raises a new one once the old is no longer
 * pending, counts them in metrics, and that GET /api/v1/alerts filters and pages them exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, sql, startTestApp, testConfig, type TestApp } from './helpers/test-env.js';
import { checkNow, dropRedisKeys, seedProducts } from './helpers/reconcile-fixtures.js';

describe('alerts from a reconciliation scan', () => {
  const config = testConfig({ inventory: { low_stock_threshold: 100 }, logging: { level: 'error' } });
  let t: TestApp;
  const alerts = async (query: string) => {
    const response = await t.app.inject({ method: 'GET', url: `/api/v1/alerts${query}` });
    return { status: response.statusCode, body: response.json() };
  };

  beforeAll(async () => {
    t = await startTestApp(config);
    // Products 1..6: 0, 50, 100, 101 (no min_stock); 20 with min_stock 10; 10 with min_stock 10. 7..40: 500.
    const stocks = [0, 50, 100, 101, 20, 10];
    await seedProducts(t.services, 40, { stockOf: (index) => stocks[index] ?? 500 });
    await sql(t.services, 'UPDATE inventories SET min_stock = 10 WHERE product_id IN (5, 6)');
    await sql(t.services, `UPDATE inventories SET status = 'inactive', stock = 0 WHERE product_id = 40`);
  });
  afterAll(async () => {
    if (t !== undefined) await dropRedisKeys(t.services);
    await t?.close();
    await dropDatabase(config);
  });

  it('raises out_of_stock for 0 and low_stock at or below the threshold, for active products only', async () => {
    const report = await checkNow(t.app);
    expect(report.diffs_found).toBe(0);
    expect(report.alerts_raised).toBe(4);
    const rows = await sql<{ product_id: number; alert_type: string; level: string; status: string }>(t.services,
      'SELECT product_id, alert_type, level, status FROM inventory_alerts ORDER BY product_id');
    expect(rows).toEqual([
      { product_id: 1, alert_type: 'out_of_stock', level: 'error', status: 'pending' },
      { product_id: 2, alert_type: 'low_stock', level: 'warning', status: 'pending' },
      { product_id: 3, alert_type: 'low_stock', level: 'warning', status: 'pending' },
      { product_id: 6, alert_type: 'low_stock', level: 'warning', status: 'pending' },
    ]);
  });

  it('keeps one pending alert per product and type, and raises again once it was handled', async () => {
    expect((await checkNow(t.app)).alerts_raised).toBe(0);
    await sql(t.services, `UPDATE inventory_alerts SET status = 'sent' WHERE product_id = 2`);
    expect((await checkNow(t.app)).alerts_raised).toBe(1);
    const rows = await sql<{ status: string }>(t.services, `SELECT status FROM inventory_alerts WHERE product_id = 2 ORDER BY id`);
    expect(rows.map((row) => row.status)).toEqual(['sent', 'pending']);
    const metric = await t.services.metrics.registry.getSingleMetric('inventory_alerts_raised_total')!.get();
    const counts = Object.fromEntries(metric.values.map((v) => [`${v.labels.type}:${v.labels.level}`, v.value]));
    expect(counts).toEqual({ 'out_of_stock:error': 1, 'low_stock:warning': 4 });
  });

  it('lists alerts by status, newest first, in pages without gaps or repeats', async () => {
    const pending = await alerts('?status=pending');
    expect(pending.status).toBe(200);
    const listed = pending.body.data.items as { id: number; product_id: number }[];
    expect(listed.map((a) => a.product_id).sort()).toEqual([1, 2, 3, 6]);
    expect(listed.map((a) => a.id)).toEqual(listed.map((a) => a.id).sort((x, y) => y - x));
    expect(listed[0]!.product_id).toBe(2); // raised last
    expect(pending.body.data.next_cursor).toBeNull();
    expect((await alerts('?status=sent')).body.data.items.map((a: { product_id: number }) => a.product_id)).toEqual([2]);
    expect((await alerts('?type=out_of_stock')).body.data.items).toHaveLength(1);

    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    for (; pages < 10; pages += 1) {
      const answer = await alerts(`?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`);
      seen.push(...answer.body.data.items.map((a: { id: number }) => a.id));
      cursor = answer.body.data.next_cursor;
      if (cursor === null) break;
    }
    const all = await sql<{ id: number }>(t.services, 'SELECT id FROM inventory_alerts ORDER BY id DESC');
    expect(seen).toEqual(all.map((row) => row.id));
    // No empty last page: exactly as many pages as the rows need.
    expect(pages + 1).toBe(Math.ceil(all.length / 2));
  });

  it('refuses unknown filters', async () => {
    expect(await alerts('?status=open')).toMatchObject({ status: 400, body: { code: 'VALIDATION_ERROR' } });
    expect(await alerts('?limit=0')).toMatchObject({ status: 400, body: { code: 'VALIDATION_ERROR' } });
    expect(await alerts('?colour=red')).toMatchObject({ status: 400, body: { code: 'VALIDATION_ERROR' } });
  });
});
