/**
 * Proves the stats endpoints report exact numbers for a known catalogue: product counts by status,
 * stock / reserved / available totals, low- and out-of-stock counts at the documented boundaries
 * (the same rows the list filters return), and for the service: sync totals by result, success
 * rate, flushes and mean batch size, queue depths, the last health run and diffs pending / fixed.
 */
import { describe, expect } from 'vitest';
import { call, reserve } from './helpers/api.js';
import { appTest } from './helpers/app-test.js';
import { createProduct, sync, type TestApp } from './helpers/test-env.js';
import { checkNow, fix, setRedisStock } from './helpers/reconcile-fixtures.js';

// stats_max_age_ms 0: every call reads afresh, so each figure checked here is the current one (the
// snapshot's bound is proved in stats-snapshot). One app per describe, so each starts from what it
// states (no traffic, or the known catalogue) whatever order the tests run in.
const patch = { inventory: { low_stock_threshold: 100, stats_max_age_ms: 0 } };
const freshIt = appTest(patch);
const catalogueIt = appTest(patch);
const trafficIt = appTest(patch);

type Stats = Record<string, unknown>;
const inventoryStats = async (t: TestApp) => (await call<Stats>(t.app, 'GET', '/api/v1/stats/inventory')).body.data;
const serviceStats = async (t: TestApp) => {
  const answer = await call<Stats>(t.app, 'GET', '/api/v1/stats/service');
  expect(answer.status).toBe(200);
  return answer.body.data;
};
const listed = async (t: TestApp, query: string) => {
  const answer = await call<{ items: { product_id: number }[] }>(t.app, 'GET', `/api/v1/inventory?${query}&limit=500`);
  return answer.body.data.items.map((item) => item.product_id);
};

// [product_id, stock, extra]: low_stock_threshold 100 applies where min_stock is 0.
const catalogue: [number, number, Record<string, unknown>][] = [
  [1, 0, {}], // out of stock (and low)
  [2, 50, {}], // low
  [3, 100, {}], // low: exactly at the threshold
  [4, 101, {}], // not low
  [5, 20, { min_stock: 10 }], // not low: min_stock 10 replaces the threshold
  [6, 10, { min_stock: 10 }], // low: exactly at min_stock
  [7, 500, {}], // 450 reserved below: available 50, low
  [8, 0, { status: 'inactive' }], // not for sale: counted in totals, not in low / out
  [9, 5, { status: 'locked' }],
  [10, 1000, {}],
];

/** Creates the catalogue and holds 450 of product 7 (a reservation: one successful change). */
async function createCatalogue(t: TestApp): Promise<void> {
  for (const [productId, stock, extra] of catalogue) await createProduct(t.app, { product_id: productId, stock, ...extra });
  expect((await reserve(t.app, { product_id: 7, quantity: 450, order_id: 'hold-7' })).status).toBe(201);
}

describe('GET /api/v1/stats/service before any traffic', () => {
  freshIt('has no rates to divide yet', async ({ t }) => {
    const stats = await serviceStats(t);
    expect(stats).toMatchObject({
      sync: { total: 0, by_result: {}, success_rate: null },
      flushes: { total: 0, batches: 0, batched_ops: 0, mean_batch_size: null },
      queue_depths: Array.from({ length: t.config.engine.shards }, () => 0),
      queue_depth_total: 0,
      last_health_run: null,
      diffs: { pending: 0, fixed: 0, ignored: 0 },
    });
    expect(stats.started_at).toBe(t.services.startedAt.toISOString());
    expect(stats.uptime_seconds).toBeGreaterThan(0);
  });
});

describe('GET /api/v1/stats/inventory', () => {
  catalogueIt('counts a known catalogue exactly', async ({ t }) => {
    await createCatalogue(t);
    expect(await inventoryStats(t)).toEqual({
      products: 10, by_status: { active: 8, inactive: 1, locked: 1 },
      total_stock: 1786, total_reserved: 450, total_available: 1336,
      low_stock: 5, out_of_stock: 1, low_stock_threshold: 100,
      as_of: expect.any(String), age_seconds: expect.any(Number),
    });
    expect(await listed(t, 'status=active&low_stock=true')).toEqual([1, 2, 3, 6, 7]);
    expect(await listed(t, 'status=active&out_of_stock=true')).toEqual([1]);

    expect((await sync(t.app, { product_id: 4, delta: -1 })).status).toBe(200); // 101 → 100: now low
    expect(await inventoryStats(t)).toMatchObject({ total_stock: 1785, total_available: 1335, low_stock: 6, out_of_stock: 1 });
  });
});

describe('GET /api/v1/stats/service after known traffic', () => {
  // The catalogue, its reservation and one sync (101 → 100 makes product 4 low): two successes.
  trafficIt.beforeAll(async ({ t }) => {
    await createCatalogue(t);
    expect((await sync(t.app, { product_id: 4, delta: -1 })).status).toBe(200);
  });

  trafficIt('reports sync totals by result, success rate, flushes and mean batch size', async ({ t }) => {
    // So far: the reservation and one sync, both successes. Now one refusal of each kind.
    expect((await sync(t.app, { product_id: 2, delta: -60 })).body.code).toBe('INSUFFICIENT_STOCK');
    expect((await sync(t.app, { product_id: 9, delta: -1 })).body.code).toBe('INVENTORY_LOCKED');
    expect((await sync(t.app, { product_id: 8, delta: -1 })).body.code).toBe('INVENTORY_INACTIVE');
    expect((await sync(t.app, { product_id: 4, delta: -1, order_id: 'o-1' })).status).toBe(200);
    expect((await sync(t.app, { product_id: 4, delta: -1, order_id: 'o-1' })).body.data.replayed).toBe(true);
    const stats = await serviceStats(t);
    expect(stats.sync).toEqual({
      total: 7, by_result: { success: 3, replayed: 1, insufficient_stock: 1, inventory_locked: 1, inventory_inactive: 1 },
      success_rate: 4 / 7,
    });
    // Every op was sent after the previous answer: seven batches of one. The replay was planned on
    // the cached product as a new deduction; the flush statement found its key stored and held the
    // product back (no rollback), and the next batch replayed the stored result without a statement:
    // eight batches, seven committed statements.
    expect(stats.flushes).toEqual({
      total: 7, by_outcome: { committed: 7, rolled_back: 0, connection_lost: 0 }, batches: 8, batched_ops: 8, mean_batch_size: 1,
    });
    expect(stats.queue_depth_total).toBe(0);
  });

  trafficIt('reports the last health run and diffs pending, then fixed', async ({ t }) => {
    await setRedisStock(t.services, 10, 900); // the DB has 1000 available: diff -100
    const report = await checkNow(t.app);
    const stats = await serviceStats(t);
    // Active products 1–7 and 10 are scanned; out_of_stock 1; low_stock 2, 3, 4, 6, 7; diff_alert 10.
    expect(stats.last_health_run).toMatchObject({
      run_id: report.run_id, status: 'completed', trigger: 'check',
      scanned: 8, diffs_found: 1, alerts_raised: 7, auto_fixed: 0, error: null,
    });
    const lastRun = stats.last_health_run as { started_at: string; finished_at: string; duration_ms: number };
    expect(lastRun.duration_ms).toBe(Date.parse(lastRun.finished_at) - Date.parse(lastRun.started_at));
    expect(stats.diffs).toEqual({ pending: 1, fixed: 0, ignored: 0 });

    expect((await fix(t.app, report.diffs[0]!.id, { fix_type: 'use_db' })).status).toBe(200);
    expect((await serviceStats(t)).diffs).toEqual({ pending: 0, fixed: 1, ignored: 0 });
  });
});
