/**
 * Proves the service creates its database when missing and applies every migration once, also
 * when two instances start together.
 */
import { afterAll, expect, it } from 'vitest';
import pg from 'pg';
import { readdirSync } from 'node:fs';
import { ensureDatabase, migrate, migrationsDir } from '../src/store/postgres/migrate.js';
import { connectionOptions } from '../src/store/postgres/pool.js';
import { dropDatabase, testConfig } from './helpers/test-env.js';

const config = testConfig();
afterAll(async () => { await dropDatabase(config); });

it('creates the database, applies all migrations once, and is a no-op the second time', async () => {
  const postgres = config.database.postgres;
  await Promise.all([ensureDatabase(postgres), ensureDatabase(postgres)]);
  const [first, second] = await Promise.all([migrate(postgres), migrate(postgres)]);
  const files = readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort();
  expect([...first, ...second].sort()).toEqual(files);
  expect(await migrate(postgres)).toEqual([]);
  const client = new pg.Client(connectionOptions(postgres));
  await client.connect();
  const tables = (await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows.map((r) => r.tablename);
  await client.end();
  expect(tables).toEqual(expect.arrayContaining(['inventories', 'inventory_logs', 'inventory_idempotency', 'inventory_diffs', 'inventory_alerts', 'schema_migrations']));
});
