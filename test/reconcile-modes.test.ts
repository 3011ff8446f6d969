/**
 * Proves the Redis modes and auto_fix behave as documented: in seckill mode Redis may sit below the
 * DB by tolerance + inflight_allowance (orders in flight) but not above it by more than tolerance,
 * and use_db moves Redis by the recorded error (see reconcile-fix-use-db for when it refuses); with auto_fix,
 * a run fixes (use_db) exactly its diffs within max_fix_amount and leaves the larger one pending.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, sql, startTestApp, testConfig, type TestApp } from './helpers/test-env.js';
import { checkNow, dropRedisKeys, fix, redisStock, seckillCheckerConfig, seedProducts, setRedisStock } from './helpers/reconcile-fixtures.js';

describe('seckill mode', () => {
  const config = seckillCheckerConfig();
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(config);
    await seedProducts(t.services, 20, { stockOf: () => 500 });
    await setRedisStock(t.services, 1, 390); // 110 below: within tolerance + allowance
    await setRedisStock(t.services, 2, 389); // 111 below
    await setRedisStock(t.services, 3, 511); // 11 above
    await setRedisStock(t.services, 4, 510); // 10 above: within tolerance
    await setRedisStock(t.services, 5, null);
  });
  afterAll(async () => {
    if (t !== undefined) await dropRedisKeys(t.services);
    await t?.close();
    await dropDatabase(config);
  });

  it('allows for orders in flight below the DB, not for stock above it', async () => {
    const report = await checkNow(t.app);
    const found = report.diffs.map((diff) => [diff.product_id, diff.diff]).sort((x, y) => x[0]! - y[0]!);
    expect(found).toEqual([[2, -111], [3, 11], [5, -500]]);
    const levels = await sql<{ product_id: number; level: string }>(t.services,
      `SELECT product_id, level FROM inventory_alerts WHERE alert_type = 'diff_alert' ORDER BY product_id`);
    expect(levels).toEqual([{ product_id: 2, level: 'error' }, { product_id: 3, level: 'warning' }, { product_id: 5, level: 'error' }]);
  });

  it('use_db moves Redis by the recorded error', async () => {
    const [diff] = await sql<{ id: number }>(t.services, 'SELECT id FROM inventory_diffs WHERE product_id = 2');
    expect(await fix(t.app, diff!.id, { fix_type: 'use_db' })).toMatchObject({ status: 200 });
    expect(await redisStock(t.services, 2)).toBe(500);
    const [missing] = await sql<{ id: number }>(t.services, 'SELECT id FROM inventory_diffs WHERE product_id = 5');
    expect(await fix(t.app, missing!.id, { fix_type: 'use_db' })).toMatchObject({ status: 200 });
    expect(await redisStock(t.services, 5)).toBe(500);
  });
});

describe('auto_fix', () => {
  const config = testConfig({
    inventory: { compensation: { enable: true, auto_fix: true, max_fix_amount: 100 } },
    logging: { level: 'error' },
  });
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(config);
    await seedProducts(t.services, 30, { stockOf: (index) => (index === 3 ? 50 : 500) });
    await setRedisStock(t.services, 1, 530);
    await setRedisStock(t.services, 2, 420);
    await setRedisStock(t.services, 3, 650); // +150: over max_fix_amount
    await setRedisStock(t.services, 4, null); // stock 50: diff -50
  });
  afterAll(async () => {
    if (t !== undefined) await dropRedisKeys(t.services);
    await t?.close();
    await dropDatabase(config);
  });

  it('fixes the diffs within max_fix_amount with use_db, and only those', async () => {
    const report = await checkNow(t.app);
    expect(report.diffs_found).toBe(4);
    expect(report.auto_fixed).toBe(3);
    const statuses = Object.fromEntries(report.diffs.map((diff) => [diff.product_id, [diff.status, diff.fix_type]]));
    expect(statuses).toEqual({ 1: ['fixed', 'use_db'], 2: ['fixed', 'use_db'], 3: ['pending', null], 4: ['fixed', 'use_db'] });
    expect([await redisStock(t.services, 1), await redisStock(t.services, 2), await redisStock(t.services, 3), await redisStock(t.services, 4)])
      .toEqual([500, 500, 650, 50]);
    const second = await checkNow(t.app);
    expect(second.diffs.map((diff) => diff.product_id)).toEqual([3]);
    expect(second.auto_fixed).toBe(0);
  });
});
