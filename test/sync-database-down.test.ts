/**
 * Proves a PostgreSQL outage is answered honestly: with the engine's connections pointed at a port
 * where nothing listens, a sync gets 503 DATABASE_UNAVAILABLE with Retry-After and nothing is
 * written; and a flush whose connection is killed mid-flight is either committed or refused, never
 * half-applied.
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
  for (let wave = 0; wave < 40; wave += 1) {
    for (let i = 0; i < 25; i += 1) answers.push(sync(t.app, { product_id: 2, delta: -1, order_id: `w${wave}-${i}` }));
    if (wave % 4 === 0) {
      await killer.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                           WHERE application_name = 'inventory-engine' AND datname = current_database()`);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const settled = await Promise.all(answers);
  await killer.end();
  const ok = settled.filter((a) => a.status === 200);
  expect(settled.every((a) => a.status === 200 || a.body.code === 'DATABASE_UNAVAILABLE')).toBe(true);
  const [row] = await sql(t.services, 'SELECT stock FROM inventories WHERE product_id = 2');
  const [logs] = await sql(t.services, `SELECT count(*)::int AS n FROM inventory_logs WHERE product_id = 2 AND op_type = 'deduct'`);
  expect(row!.stock).toBe(100_000 - ok.length);
  expect(logs!.n).toBe(ok.length);
  expect(ok.length).toBeGreaterThan(0);
  // The service recovered by itself: a sync after the last kill commits.
  const after = await sync(t.app, { product_id: 2, delta: -1, order_id: 'after-the-kills' });
  expect(after.status).toBe(200);
  // The kills really landed inside flushes, and those flushes were resolved, not guessed.
  const lost = (await t.services.metrics.flushes.get()).values.find((v) => v.labels.outcome === 'connection_lost');
  expect(lost?.value ?? 0).toBeGreaterThan(0);
});
