/**
 * Proves two engine edge cases on real PostgreSQL: (1) a product evicted from an actor's bounded
 * cache while its flush is being planned is still planned from the state the flush took (no
 * crash, exact stock); (2) two instances whose caches hold opposite products lock a shared flush's
 * rows in one order, so rounds of concurrent flushes never deadlock, and stay exact.
 */
import { expect } from 'vitest';
import { createBatchedEngine, type StockEngine } from '../../src/engine/stock-engine.js';
import type { DeltaOp } from '../../src/domain/stock-ops.js';
import { appTest } from '../helpers/app-test.js';
import { createProduct, sql, type TestApp } from '../helpers/test-env.js';

const it = appTest();
let t: TestApp;
it.beforeAll(({ t: app }) => { t = app; });

const deduct = (productId: number): DeltaOp => ({
  kind: 'delta', productId, delta: -1, opType: 'deduct', orderId: null, idempotencyKey: null,
  expectedVersion: null, reason: null, operator: null, traceId: null,
});

/** An engine of one shard whose actor remembers a single product. */
function smallCacheEngine(): StockEngine {
  return createBatchedEngine({
    shards: 1, flushOpsMax: 64, queueDepthMax: 256, redisWriteWaitMs: 20, cachedProductsMax: 1,
    pool: t.services.enginePool, cacheWriter: t.services.cacheWriter, metrics: t.services.metrics, log: t.services.log,
  });
}

const replans = async (reason: string) => (await t.services.metrics.flushReplans.get()).values
  .filter((value) => value.labels.reason === reason).reduce((sum, value) => sum + value.value, 0);

it('plans from the flush state when the bounded cache evicts a product mid-flush', async () => {
  for (const productId of [11, 12, 13]) await createProduct(t.app, { product_id: productId, stock: 50 });
  const engine = smallCacheEngine();
  for (let round = 0; round < 5; round += 1) {
    await Promise.all([11, 12, 13].map((productId) => engine.submit(deduct(productId))));
  }
  await engine.drain();
  const rows = await sql(t.services, 'SELECT product_id, stock FROM inventories WHERE product_id IN (11, 12, 13) ORDER BY 1');
  expect(rows.map((row) => row.stock)).toEqual([45, 45, 45]);
});

it('two instances with opposite cached products never deadlock on a shared flush', async () => {
  for (const productId of [21, 22]) await createProduct(t.app, { product_id: productId, stock: 1000 });
  const deadlocksBefore = await replans('deadlock');
  const [a, b] = [smallCacheEngine(), smallCacheEngine()];
  for (let round = 0; round < 6; round += 1) {
    await a.submit(deduct(21)); // a now trusts 21 only
    await b.submit(deduct(22)); // b now trusts 22 only
    await Promise.all([a.submit(deduct(21)), a.submit(deduct(22)), b.submit(deduct(21)), b.submit(deduct(22))]);
  }
  await Promise.all([a.drain(), b.drain()]);
  expect(await replans('deadlock')).toBe(deadlocksBefore);
  const rows = await sql(t.services, 'SELECT stock FROM inventories WHERE product_id IN (21, 22) ORDER BY product_id');
  expect(rows.map((row) => row.stock)).toEqual([1000 - 18, 1000 - 18]);
});
