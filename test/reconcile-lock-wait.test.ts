/**
 * Proves a flush that waited for a row lock longer than the quiet window does not produce a false
 * diff: its row's `updated_at` is the time it wrote the row, not its transaction's start, so the
 * second look sees a freshly written row whose post-commit Redis write may be in flight and lets it
 * settle. A test transaction holds the product's row lock for 2.5 s (the quiet window is 2.1 s)
 * while a sync waits on it; a private Redis holds the post-commit write back (CLIENT PAUSE WRITE,
 * 0.8 s) while a check runs; the write lands before the settling look, which finds Redis in sync.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dropDatabase, startTestApp, sync, testConfig, type TestApp } from './helpers/test-env.js';
import { PrivateRedis } from './helpers/private-redis.js';
import { checkNow, seedProducts } from './helpers/reconcile-fixtures.js';

let redis: PrivateRedis;
let t: TestApp;

beforeAll(async () => {
  redis = await PrivateRedis.start();
  // Settle grace 1000 + 100 ms; a row is quiet after 1100 + 1000 ms.
  t = await startTestApp(testConfig({
    redis: { port: redis.port, command_timeout_ms: 1000, write_wait_ms: 0 },
    inventory: { health_check: { workers: 1 } },
    logging: { level: 'error' },
  }));
  await seedProducts(t.services, 10, { stockOf: () => 500 });
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
  if (t !== undefined) await dropDatabase(t.config);
});

it('lets a row written after a long lock wait settle instead of recording it', async () => {
  expect((await checkNow(t.app)).diffs_found).toBe(0); // starts the worker thread and its connections
  const blocker = await t.services.readPool.connect();
  const pauser = new Redis({ port: redis.port });
  // Reads on a connection of their own: the service's connection is held behind its paused write.
  const reader = new Redis({ port: redis.port });
  const stockNow = async () => Number(await reader.get(t.services.keys.stock(3)));
  try {
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM inventories WHERE product_id = 3 FOR UPDATE');
    const syncing = sync(t.app, { product_id: 3, delta: -20 });
    await sleep(2500);
    await pauser.call('CLIENT', 'PAUSE', '800', 'WRITE');
    await blocker.query('ROLLBACK');
    expect((await syncing).status).toBe(200);
    expect(await stockNow()).toBe(500); // the post-commit write is still held back
    const report = await checkNow(t.app);
    expect(report.candidates).toBe(1);
    expect(report.settling).toBe(1);
    expect(report.diffs).toEqual([]);
    expect(await stockNow()).toBe(480);
  } finally {
    blocker.release();
    pauser.disconnect();
    reader.disconnect();
  }
});
