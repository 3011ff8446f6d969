/**
 * Proves a PostgreSQL outage is answered honestly: with the engine's connections pointed at a port
 * where nothing listens, a sync gets 503 DATABASE_UNAVAILABLE with Retry-After and nothing is
 * written; and when the engine's connections are killed mid-flight, every answer is checked against
 * the database: a 200 committed, a "nothing was applied" did not, only "outcome unknown" may go
 * either way, and no order applied twice.
 */
import pg from 'pg';
import { expect } from 'vitest';
import { connectionOptions } from '../src/store/postgres/pool.js';
import { appTest } from './helpers/app-test.js';
import { createProduct, sql, sync } from './helpers/test-env.js';
import { deadDatabaseApp } from './helpers/dead-database-app.js';

const it = appTest({ engine: { shards: 2 } });

it('answers 503 DATABASE_UNAVAILABLE when PostgreSQL cannot be reached, and writes nothing', async ({ t }) => {
  await createProduct(t.app, { product_id: 1, stock: 10 });
  const dead = await deadDatabaseApp(t);
  const answer = await sync(dead.app, { product_id: 1, delta: -1 });
  await dead.close();
  expect(answer.status).toBe(503);
  expect(answer.body.code).toBe('DATABASE_UNAVAILABLE');
  expect(answer.headers['retry-after']).toBe('1');
  const [row] = await sql(t.services, 'SELECT stock, version FROM inventories WHERE product_id = 1');
  expect(row).toEqual({ stock: 10, version: 1 });
});

it('killing the engine connections mid-load leaves every answer truthful', async ({ t }) => {
  await createProduct(t.app, { product_id: 2, stock: 100_000 });
  const killer = new pg.Client(connectionOptions(t.config.database.postgres));
  await killer.connect();
  const answers: Promise<Awaited<ReturnType<typeof sync>>>[] = [];
  const orderIds: string[] = [];
  for (let wave = 0; wave < 40; wave += 1) {
    for (let i = 0; i < 25; i += 1) {
      orderIds.push(`w${wave}-${i}`);
      answers.push(sync(t.app, { product_id: 2, delta: -1, order_id: `w${wave}-${i}` }));
    }
    if (wave % 4 === 0) {
      await killer.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                           WHERE application_name = 'inventory-engine' AND datname = current_database()`);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const settled = await Promise.all(answers);
  await killer.end();
  const ok = settled.filter((a) => a.status === 200);
  // Each answer against the database: a 200 is committed, "nothing was applied" is not, and
  // only "outcome unknown" may go either way.
  const landed = new Set((await sql<{ order_id: string }>(t.services,
    `SELECT order_id FROM inventory_logs WHERE product_id = 2 AND op_type = 'deduct'`)).map((r) => r.order_id));
  const mismatches = settled.map((answer, index) => ({ code: answer.body.code ?? 'OK', landed: landed.has(orderIds[index]!) }))
    .filter(({ code, landed: applied }) => (code === 'OK' && !applied) || (code === 'DATABASE_UNAVAILABLE' && applied) ||
      !['OK', 'DATABASE_UNAVAILABLE', 'COMMIT_OUTCOME_UNKNOWN'].includes(code));
  expect(mismatches).toEqual([]);
  const [row] = await sql(t.services, 'SELECT stock FROM inventories WHERE product_id = 2');
  const [logs] = await sql(t.services, `SELECT count(*)::int AS n FROM inventory_logs WHERE product_id = 2 AND op_type = 'deduct'`);
  expect(row!.stock).toBe(100_000 - landed.size);
  expect(logs!.n).toBe(landed.size); // no order applied twice
  expect(ok.length).toBeGreaterThan(0);
  // The service recovered by itself: a sync after the last kill commits.
  const after = await sync(t.app, { product_id: 2, delta: -1, order_id: 'after-the-kills' });
  expect(after.status).toBe(200);
  // The kills really landed inside flushes, and those flushes were resolved, not guessed.
  const lost = (await t.services.metrics.flushes.get()).values.find((v) => v.labels.outcome === 'connection_lost');
  expect(lost?.value ?? 0).toBeGreaterThan(0);
});
