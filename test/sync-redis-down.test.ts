/**
 * Proves Redis is only a cache: with Redis killed, syncs still answer 200 promptly and PostgreSQL
 * holds the right stock; once Redis is back, the values written afterwards are right, and a
 * reconciliation run plus use_db fixes restore exact agreement for the products it missed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isRedisReady } from '../src/store/redis/redis-client.js';
import { createProduct, dropDatabase, sql, startTestApp, sync, testConfig, type TestApp } from './helpers/test-env.js';
import { PrivateRedis } from './helpers/private-redis.js';
import { checkNow, fix } from './helpers/reconcile-fixtures.js';

let t: TestApp;
let redis: PrivateRedis;
beforeAll(async () => {
  redis = await PrivateRedis.start();
  t = await startTestApp(testConfig({ redis: { port: redis.port } }));
});
afterAll(async () => {
  await t.close();
  await redis.stop();
  await dropDatabase(t.config);
});

it('commits to PostgreSQL while Redis is down and writes right values once it is back', async () => {
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
  for (let i = 0; i < 60 && !isRedisReady(t.services.redis); i += 1) await sleep(100);
  expect(isRedisReady(t.services.redis)).toBe(true);
  const after = await sync(t.app, { product_id: 500, delta: -5 });
  expect(after.status).toBe(200);
  expect(await t.services.redis.get(t.services.keys.stock(500))).toBe('45');
});

it('after an outage, one reconciliation run and its fixes bring Redis back to the truth', async () => {
  const products = [601, 602, 603, 604];
  for (const productId of products) await createProduct(t.app, { product_id: productId, stock: 100 });
  await redis.stop();
  await Promise.all(products.map((productId, i) => sync(t.app, { product_id: productId, delta: -(i + 1) * 20 })));
  // Redis restarted empty: every key is gone, the product synced while it was up included.
  await redis.resume();
  for (let i = 0; i < 60 && !isRedisReady(t.services.redis); i += 1) await sleep(100);

  // Every product lost its key with the restart, including product 500 of the test above.
  const report = await checkNow(t.app);
  expect(report.diffs.map((diff) => diff.product_id).sort()).toEqual([500, ...products]);
  for (const diff of report.diffs) expect((await fix(t.app, diff.id, { fix_type: 'use_db' })).status).toBe(200);

  for (const productId of [500, ...products]) {
    const [row] = await sql(t.services, 'SELECT available FROM inventories WHERE product_id = $1', [productId]);
    expect(await t.services.redis.get(t.services.keys.stock(productId))).toBe(String(row!.available));
  }
  const second = await checkNow(t.app);
  expect(second.diffs_found).toBe(0);
});
