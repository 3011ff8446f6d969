/**
 * Proves Redis is only a cache: with Redis killed, syncs still answer 200 promptly and PostgreSQL
 * holds the right stock; once Redis is back, the values written afterwards are right, and a
 * reconciliation run plus use_db fixes restore exact agreement for the products it missed.
 */
import { expect } from 'vitest';
import { isRedisReady } from '../src/store/redis/redis-client.js';
import { privateRedisAppTest } from './helpers/app-test.js';
import { createProduct, sql, sync } from './helpers/test-env.js';
import { checkNow, fix } from './helpers/reconcile-fixtures.js';
import { pollUntil } from './helpers/wait.js';

const it = privateRedisAppTest();

it('commits to PostgreSQL while Redis is down and writes right values once it is back', async ({ t, redis }) => {
  await createProduct(t.app, { product_id: 500, stock: 100 });
  expect(await t.services.redis.get(t.services.keys.stock(500))).toBe('100');

  await redis.stop();
  const started = performance.now();
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => sync(t.app, { product_id: 500, delta: -1, order_id: `down-${i}` })));
  const elapsedMs = performance.now() - started;
  expect(answers.every((a) => a.status === 200)).toBe(true);
  // Bounded by redis.write_wait_ms, not by Redis timeouts or retries.
  expect(elapsedMs).toBeLessThan(2000);
  const [row] = await sql(t.services, 'SELECT stock FROM inventories WHERE product_id = 500');
  expect(row!.stock).toBe(50);
  const failures = (await t.services.metrics.redisWriteFailures.get()).values[0]!.value;
  expect(failures).toBeGreaterThan(0);

  const health = await t.app.inject({ method: 'GET', url: '/health' });
  expect(health.statusCode).toBe(200);
  expect(health.json().data).toMatchObject({ status: 'degraded', checks: { postgres: 'ok', redis: 'down' } });

  await redis.resume();
  expect(await pollUntil(() => isRedisReady(t.services.redis), (ready) => ready, { timeoutMs: 6000 })).toBe(true);
  const after = await sync(t.app, { product_id: 500, delta: -5 });
  expect(after.status).toBe(200);
  expect(await t.services.redis.get(t.services.keys.stock(500))).toBe('45');
});

it('after an outage, one reconciliation run and its fixes bring Redis back to the truth', async ({ t, redis }) => {
  const products = [601, 602, 603, 604];
  for (const productId of products) await createProduct(t.app, { product_id: productId, stock: 100 });
  await redis.stop();
  await Promise.all(products.map((productId, i) => sync(t.app, { product_id: productId, delta: -(i + 1) * 20 })));
  // Redis restarted empty: every key is gone, the product synced while it was up included.
  await redis.resume();
  expect(await pollUntil(() => isRedisReady(t.services.redis), (ready) => ready, { timeoutMs: 6000 })).toBe(true);

  // Every product lost its key with the restart: these, and any an earlier test of this file made.
  const all = (await sql<{ product_id: number }>(t.services, 'SELECT product_id FROM inventories ORDER BY product_id')).map((row) => row.product_id);
  expect(all).toEqual(expect.arrayContaining(products));
  const report = await checkNow(t.app);
  expect(report.diffs.map((diff) => diff.product_id).sort((x, y) => x - y)).toEqual(all);
  for (const diff of report.diffs) expect((await fix(t.app, diff.id, { fix_type: 'use_db' })).status).toBe(200);

  for (const productId of all) {
    const [row] = await sql(t.services, 'SELECT available FROM inventories WHERE product_id = $1', [productId]);
    expect(await t.services.redis.get(t.services.keys.stock(productId))).toBe(String(row!.available));
  }
  const second = await checkNow(t.app);
  expect(second.diffs_found).toBe(0);
});
