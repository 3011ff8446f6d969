/**
 * Proves the shard queue is bounded: with the product's row locked by another session, a shard
 * holding exactly queue_depth_max operations answers the next one 503 OVERLOADED with Retry-After,
 * and every operation accepted before is committed once the lock goes. Also proves a drain on
 * shutdown answers every accepted operation before the engine closes.
 */
import pg from 'pg';
import { expect } from 'vitest';
import { connectionOptions } from '../src/store/postgres/pool.js';
import { appTest } from './helpers/app-test.js';
import { createProduct, sql, sync } from './helpers/test-env.js';
import { pollUntil } from './helpers/wait.js';

const it = appTest({ engine: { shards: 1, flush_ops_max: 4, queue_depth_max: 10 } });

it('a full shard answers 503 OVERLOADED and commits everything it accepted once unblocked', async ({ t }) => {
  await createProduct(t.app, { product_id: 1, stock: 100 });
  const locker = new pg.Client(connectionOptions(t.config.database.postgres));
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query('SELECT 1 FROM inventories WHERE product_id = 1 FOR UPDATE');

  const accepted = Array.from({ length: 10 }, (_, i) => sync(t.app, { product_id: 1, delta: -1, order_id: `held-${i}` }));
  // The first flush is now blocked on the row lock, holding its ops: wait until all ten are held.
  expect(await pollUntil(() => t.services.engine.queueDepths(), (depths) => depths[0] === 10)).toEqual([10]);

  const refused = await sync(t.app, { product_id: 1, delta: -1, order_id: 'one-too-many' });
  expect(refused.status).toBe(503);
  expect(refused.body.code).toBe('OVERLOADED');
  expect(refused.headers['retry-after']).toBe('1');

  await locker.query('ROLLBACK');
  await locker.end();
  const answers = await Promise.all(accepted);
  expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
  const [row] = await sql(t.services, 'SELECT stock FROM inventories WHERE product_id = 1');
  expect(row!.stock).toBe(90);
  const [logs] = await sql(t.services, `SELECT count(*)::int AS n FROM inventory_logs WHERE product_id = 1 AND op_type = 'deduct'`);
  expect(logs!.n).toBe(10);
});

it('drain answers every accepted operation, then refuses new ones', async ({ t }) => {
  await createProduct(t.app, { product_id: 2, stock: 100 });
  const inFlight = Array.from({ length: 10 }, () => t.services.engine.submit({
    kind: 'delta', productId: 2, delta: -1, opType: 'deduct', orderId: null, idempotencyKey: null,
    expectedVersion: null, reason: null, operator: null, traceId: null,
  }));
  const answered = new Set<number>();
  inFlight.forEach((promise, index) => void promise.then(() => answered.add(index)));
  await t.services.engine.drain();
  // Drain resolved only once every accepted op was answered (the answers' callbacks ran first).
  await Promise.resolve();
  expect(answered.size).toBe(10);
  const results = await Promise.all(inFlight);
  expect(results.every((r) => r.replayed === false)).toBe(true);
  const [row] = await sql(t.services, 'SELECT stock FROM inventories WHERE product_id = 2');
  expect(row!.stock).toBe(90);
  const late = await sync(t.app, { product_id: 2, delta: -1 });
  expect(late.status).toBe(503);
  expect(late.body.code).toBe('SHUTTING_DOWN');
});
