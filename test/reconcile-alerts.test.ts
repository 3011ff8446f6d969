/**
 * Proves a run raises low_stock and out_of_stock alerts from the same scan at the documented
 * boundaries (available 0; ≤ min_stock; ≤ low_stock_threshold when min_stock is 0), keeps one
 * pending alert per product and type across runs, raises a new one once an operator acknowledged
 * the old (POST /api/v1/alerts/:id/ack), counts them in metrics, and that GET /api/v1/alerts
 * filters and pages them exactly; that a run closes (as `closed`) the alerts whose condition is gone
 * (stock restocked, Redis back in agreement), a fix closes its diff's alert, a diff_alert is raised
 * to `error` in place when the diff grows past alert_threshold, and the ack route refuses unknown,
 * closed and malformed requests (and wants the bearer token when one is configured).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, sql, startTestApp, sync, testConfig, type TestApp } from './helpers/test-env.js';
import { alertsOf, checkNow, dropRedisKeys, fix, seedProducts, setRedisStock } from './helpers/reconcile-fixtures.js';

describe('alerts from a reconciliation scan', () => {
  const config = testConfig({ inventory: { low_stock_threshold: 100 }, logging: { level: 'error' } });
  let t: TestApp;
  const alerts = async (query: string) => {
    const response = await t.app.inject({ method: 'GET', url: `/api/v1/alerts${query}` });
    return { status: response.statusCode, body: response.json() };
  };
  const ack = async (alertId: number | string, body: Record<string, unknown>, headers: Record<string, string> = {}, app = t.app) => {
    const response = await app.inject({ method: 'POST', url: `/api/v1/alerts/${alertId}/ack`, payload: body, headers });
    return { status: response.statusCode, body: response.json() };
  };
  const pendingAlertId = async (productId: number, type: string) =>
    (await sql<{ id: number }>(t.services, `SELECT id FROM inventory_alerts WHERE product_id = $1 AND alert_type = $2 AND status = 'pending'`,
      [productId, type]))[0]!.id;
  const raisedMetric = async () => {
    const metric = await t.services.metrics.registry.getSingleMetric('inventory_alerts_raised_total')!.get();
    // Every known (type, level) series exists from the start at 0; the ones raised are compared.
    return Object.fromEntries(metric.values.filter((v) => v.value > 0).map((v) => [`${v.labels.type}:${v.labels.level}`, v.value]));
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

  it('keeps one pending alert per product and type, and raises again once an operator acknowledged it', async () => {
    expect((await checkNow(t.app)).alerts_raised).toBe(0);
    // `sent`, the route's older spelling of "handled", closes it (`sent` now means a webhook accepted it).
    const acked = await ack(await pendingAlertId(2, 'low_stock'), { status: 'sent', operator: 'ops' });
    expect(acked).toMatchObject({ status: 200, body: { data: { product_id: 2, alert_type: 'low_stock', status: 'closed' } } });
    expect((await checkNow(t.app)).alerts_raised).toBe(1);
    expect((await alertsOf(t.services, 2)).map((alert) => alert.status)).toEqual(['closed', 'pending']);
    expect(await raisedMetric()).toEqual({ 'out_of_stock:error': 1, 'low_stock:warning': 4 });
  });

  it('lists alerts by status, newest first, in pages without gaps or repeats', async () => {
    const pending = await alerts('?status=pending');
    expect(pending.status).toBe(200);
    const listed = pending.body.data.items as { id: number; product_id: number }[];
    expect(listed.map((a) => a.product_id).sort()).toEqual([1, 2, 3, 6]);
    expect(listed.map((a) => a.id)).toEqual(listed.map((a) => a.id).sort((x, y) => y - x));
    expect(listed[0]!.product_id).toBe(2); // raised last
    expect(pending.body.data.next_cursor).toBeNull();
    expect((await alerts('?status=closed')).body.data.items.map((a: { product_id: number }) => a.product_id)).toEqual([2]);
    expect((await alerts('?status=sent')).body.data.items).toEqual([]);
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

  it('refuses to acknowledge an unknown, closed or malformed alert, and acknowledges as ignored', async () => {
    expect(await ack(999_999, { status: 'sent' })).toMatchObject({ status: 404, body: { code: 'ALERT_NOT_FOUND' } });
    const closed = (await sql<{ id: number }>(t.services, `SELECT id FROM inventory_alerts WHERE status = 'closed' LIMIT 1`))[0]!.id;
    expect(await ack(closed, { status: 'ignored' })).toMatchObject({ status: 409, body: { code: 'ALERT_NOT_PENDING' } });
    const open = await pendingAlertId(3, 'low_stock');
    expect(await ack(open, { status: 'pending' })).toMatchObject({ status: 400, body: { code: 'VALIDATION_ERROR' } });
    expect(await ack(open, {})).toMatchObject({ status: 400, body: { code: 'VALIDATION_ERROR' } });
    expect(await ack(open, { status: 'sent', colour: 'red' })).toMatchObject({ status: 400 });
    expect(await ack('abc', { status: 'sent' })).toMatchObject({ status: 400 });
    expect(await ack(open, { status: 'ignored' })).toMatchObject({ status: 200, body: { data: { id: open, status: 'ignored' } } });
    expect((await alerts('?status=ignored')).body.data.items.map((a: { id: number }) => a.id)).toEqual([open]);
  });

  it('wants the bearer token for an acknowledgement when one is configured', async () => {
    // Its own Redis prefix: closing it deletes its keys, which must not be this file's.
    const guarded = await startTestApp({
      ...config, server: { ...config.server, auth_token: 'secret-token' }, redis: { ...config.redis, key_prefix: `${config.redis.key_prefix}auth:` },
    });
    try {
      const open = await pendingAlertId(6, 'low_stock');
      expect(await ack(open, { status: 'sent' }, {}, guarded.app)).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
      expect(await ack(open, { status: 'closed' }, { authorization: 'Bearer secret-token' }, guarded.app)).toMatchObject({ status: 200 });
    } finally {
      await guarded.close();
    }
  });

  it('closes stock alerts once the scan finds their condition gone', async () => {
    // Product 1: 0 → 50 (out_of_stock gone, low_stock now); product 2: 50 → 150 (low_stock gone).
    expect((await sync(t.app, { product_id: 1, delta: 50 })).status).toBe(200);
    expect((await sync(t.app, { product_id: 2, delta: 100 })).status).toBe(200);
    const report = await checkNow(t.app);
    // Product 1's low_stock, and products 3 and 6 again: still low, their acknowledged alerts closed.
    expect(report.alerts_raised).toBe(3);
    expect(await alertsOf(t.services, 1)).toEqual([
      { product_id: 1, alert_type: 'out_of_stock', level: 'error', status: 'closed' },
      { product_id: 1, alert_type: 'low_stock', level: 'warning', status: 'pending' },
    ]);
    expect((await alertsOf(t.services, 2)).map((alert) => alert.status)).toEqual(['closed', 'closed']);
    expect((await alertsOf(t.services, 3)).map((alert) => alert.status)).toEqual(['ignored', 'pending']);
    expect((await alertsOf(t.services, 6)).map((alert) => alert.status)).toEqual(['closed', 'pending']);
    expect(await alertsOf(t.services, 5)).toEqual([]);
  });

  it('raises a diff alert to error in place when the diff grows, and closes it when the diff is gone or fixed', async () => {
    const before = await raisedMetric();
    for (const productId of [10, 11, 12]) await setRedisStock(t.services, productId, 530);
    await checkNow(t.app);
    const diffIdOf = async (productId: number) =>
      (await sql<{ id: number }>(t.services, `SELECT id FROM inventory_diffs WHERE product_id = $1 AND status = 'pending'`, [productId]))[0]!.id;
    expect(await fix(t.app, await diffIdOf(11), { fix_type: 'use_db' })).toMatchObject({ status: 200 });
    expect(await fix(t.app, await diffIdOf(12), { fix_type: 'ignore' })).toMatchObject({ status: 200 });
    await setRedisStock(t.services, 12, 500);
    await setRedisStock(t.services, 10, 580);
    await checkNow(t.app);
    expect(await alertsOf(t.services, 10)).toEqual([{ product_id: 10, alert_type: 'diff_alert', level: 'error', status: 'pending' }]);
    const [message] = await sql<{ message: string }>(t.services, `SELECT message FROM inventory_alerts WHERE product_id = 10`);
    expect(message!.message).toContain('diff +80');
    expect(await alertsOf(t.services, 11)).toEqual([{ product_id: 11, alert_type: 'diff_alert', level: 'warning', status: 'closed' }]);
    expect(await alertsOf(t.services, 12)).toEqual([{ product_id: 12, alert_type: 'diff_alert', level: 'warning', status: 'ignored' }]);
    const after = await raisedMetric();
    expect(after['diff_alert:warning']! - (before['diff_alert:warning'] ?? 0)).toBe(3);
    expect(after['diff_alert:error']! - (before['diff_alert:error'] ?? 0)).toBe(1);

    await setRedisStock(t.services, 10, 500);
    await checkNow(t.app);
    expect((await alertsOf(t.services, 10)).map((alert) => alert.status)).toEqual(['closed']);
  });
});
