/**
 * Proves a reconciliation run finds exactly the Redis drift beyond tolerance among 20,000 products
 * (missing keys, drift over alert_threshold, drift within it, drift within tolerance), with the
 * right alert levels, that use_db / use_redis fixes repair every one, and that a second run then
 * finds nothing: 37 products are drifted at seeded random, and every number is checked exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, sql, startTestApp, testConfig, type TestApp } from './helpers/test-env.js';
import { seededRandom } from './helpers/seeded-random.js';
import { checkNow, dropRedisKeys, fix, redisStock, type Report, seedProducts, setRedisStock } from './helpers/reconcile-fixtures.js';

const productCount = 20_000;
const stock = 500;
const seed = Number(process.env.TEST_SEED ?? Date.now() % 1_000_000);

interface Drift { productId: number; redis: number | null; expected: 'error' | 'warning' | null }

/** 8 missing keys, 10 beyond alert_threshold (50), 12 beyond tolerance (10) up to 50, 7 within tolerance. */
function plan(next: () => number): Drift[] {
  const chosen = new Set<number>();
  const pick = () => {
    for (;;) {
      const id = 1 + Math.floor(next() * productCount);
      if (!chosen.has(id)) { chosen.add(id); return id; }
    }
  };
  const between = (low: number, high: number) => low + Math.floor(next() * (high - low + 1));
  const signed = (value: number) => (next() < 0.5 ? -value : value);
  const drifts: Drift[] = [];
  for (let i = 0; i < 8; i += 1) drifts.push({ productId: pick(), redis: null, expected: 'error' });
  const overThreshold = [51, -51, ...Array.from({ length: 8 }, () => signed(between(52, 400)))];
  for (const delta of overThreshold) drifts.push({ productId: pick(), redis: stock + delta, expected: 'error' });
  const overTolerance = [11, -11, 50, -50, ...Array.from({ length: 8 }, () => signed(between(12, 49)))];
  for (const delta of overTolerance) drifts.push({ productId: pick(), redis: stock + delta, expected: 'warning' });
  const withinTolerance = [10, -10, 1, -1, ...Array.from({ length: 3 }, () => signed(between(2, 9)))];
  for (const delta of withinTolerance) drifts.push({ productId: pick(), redis: stock + delta, expected: null });
  return drifts;
}

describe(`reconciliation of 20,000 products with 37 drifted (seed ${seed})`, () => {
  const config = testConfig();
  let t: TestApp;
  const drifts = plan(seededRandom(seed));
  const reported = drifts.filter((drift) => drift.expected !== null);
  let first: Report;

  beforeAll(async () => {
    t = await startTestApp(config);
    await seedProducts(t.services, productCount, { stockOf: () => stock });
    for (const drift of drifts) await setRedisStock(t.services, drift.productId, drift.redis);
  });
  afterAll(async () => {
    if (t !== undefined) await dropRedisKeys(t.services);
    await t?.close();
    await dropDatabase(config);
  });

  it('reports exactly the drifted products beyond tolerance, with diff values and alert levels', async () => {
    expect(drifts).toHaveLength(37);
    first = await checkNow(t.app);
    expect(first.status, `seed ${seed}`).toBe('completed');
    expect(first.scanned).toBe(productCount);
    expect(first.diffs_found, `seed ${seed}`).toBe(30);
    const byProduct = new Map(first.diffs.map((diff) => [diff.product_id, diff]));
    expect([...byProduct.keys()].sort((a, b) => a - b)).toEqual(reported.map((d) => d.productId).sort((a, b) => a - b));
    for (const drift of reported) {
      const diff = byProduct.get(drift.productId)!;
      expect(diff.db_stock).toBe(stock);
      expect(diff.redis_stock).toBe(drift.redis);
      expect(diff.diff).toBe((drift.redis ?? 0) - stock);
      expect(diff.status).toBe('pending');
    }
    const alerts = await sql<{ product_id: number; level: string }>(t.services,
      `SELECT product_id, level FROM inventory_alerts WHERE alert_type = 'diff_alert' AND status = 'pending'`);
    expect(new Map(alerts.map((a) => [a.product_id, a.level]))).toEqual(new Map(reported.map((d) => [d.productId, d.expected])));
    expect(first.alerts_raised).toBe(30);
    const rows = await sql<{ count: number }>(t.services, 'SELECT count(*)::int AS count FROM inventory_diffs');
    expect(rows[0]!.count).toBe(30);
  });

  it('fixes every diff (use_db for missing keys and half the rest, use_redis for the others)', async () => {
    const useRedis = new Set(reported.filter((d) => d.redis !== null).filter((_, index) => index % 2 === 0).map((d) => d.productId));
    for (const diff of first.diffs) {
      const fixType = useRedis.has(diff.product_id) ? 'use_redis' : 'use_db';
      const answer = await fix(t.app, diff.id, { fix_type: fixType, operator: 'tester' });
      expect(answer.status, answer.body.message).toBe(200);
      expect(answer.body.data).toMatchObject({ status: 'fixed', fix_type: fixType, fixed_by: 'tester' });
    }
    for (const drift of reported) {
      const [row] = await sql<{ available: number }>(t.services, 'SELECT available FROM inventories WHERE product_id = $1', [drift.productId]);
      const expectedValue = useRedis.has(drift.productId) ? drift.redis! : stock;
      expect(row!.available).toBe(expectedValue);
      expect(await redisStock(t.services, drift.productId)).toBe(expectedValue);
    }
    const logs = await sql<{ product_id: number; delta: number }>(t.services,
      `SELECT product_id, delta FROM inventory_logs WHERE op_type = 'fix'`);
    expect(new Map(logs.map((log) => [log.product_id, log.delta])))
      .toEqual(new Map(reported.filter((d) => useRedis.has(d.productId)).map((d) => [d.productId, d.redis! - stock])));
    const fixedMetric = await t.services.metrics.registry.getSingleMetric('inventory_diffs_fixed_total')!.get();
    const fixedByType = Object.fromEntries(fixedMetric.values.map((v) => [v.labels.fix_type, v.value]));
    expect(fixedByType).toEqual({ use_redis: useRedis.size, use_db: 30 - useRedis.size, ignore: 0 });
  });

  it('finds nothing on a second run', async () => {
    const second = await checkNow(t.app);
    expect(second.run_id).not.toBe(first.run_id);
    expect(second.scanned).toBe(productCount);
    expect(second.diffs_found).toBe(0);
    expect(second.diffs).toEqual([]);
    const found = await t.services.metrics.registry.getSingleMetric('inventory_diffs_found_total')!.get();
    expect(found.values[0]!.value).toBe(30);
    const runs = await t.services.metrics.registry.getSingleMetric('inventory_reconcile_runs_total')!.get();
    // Every outcome's series exists from the start (test/metrics-preset).
    expect(runs.values.map((v) => [v.labels.outcome, v.value])).toEqual([['completed', 2], ['failed', 0], ['aborted', 0]]);
  });
});
