/**
 * Proves Redis is only a cache: with Redis killed, syncs still answer 200 promptly and PostgreSQL
 * holds the right stock; once Redis is back, the values written afterwards are right.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isRedisReady } from '../src/store/redis/redis-client.js';
import { createProduct, dropDatabase, sql, startTestApp, sync, testConfig, type TestApp } from './helpers/test-env.js';
import { PrivateRedis } from './helpers/private-redis.js';

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
