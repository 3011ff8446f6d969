// Proves migration 006_1 turns a populated, unpartitioned inventory_logs into a partitioned one
// without losing or changing a row: a database is built with the migrations before 006 and filled
// with 200 days of chained history (one row a day ahead of the clock too), then migrated; every row
// is the same (checksum), the old table is the first partition up to the day after its newest row,
// the id sequence is kept and owned by the new table, reads by product, order and trace id are
// index-backed on every partition, and the service then creates partitions ahead and writes on.
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextBoundary } from '../src/ledger/partition-plan.js';
import * as limits from '../src/limits.js';
import { ensureDatabase, migrate, migrationsDir } from '../src/store/postgres/migrate.js';
import { selectLogPartitions } from '../src/store/postgres/partition-queries.js';
import { connectionOptions } from '../src/store/postgres/pool.js';
import { dropDatabase, startTestApp, sync, testConfig, type TestApp } from './helpers/test-env.js';

const config = testConfig();
const postgres = config.database.postgres;
let client: pg.Client;
let t: TestApp | undefined;

const products = 40;
const rowsPerProduct = 50;

/** Chained history: init 1000, then -1 each, spread over 200 days up to now; reserve/release pairs by order id. */
const seedHistory = `
INSERT INTO inventories (product_id, product_name, stock, version)
SELECT p, 'product ' || p, 1000 - ${rowsPerProduct}, ${rowsPerProduct} + 1 FROM generate_series(1, ${products}) p;
INSERT INTO inventory_logs (product_id, op_type, delta, before_stock, after_stock, reason, operator, trace_id, created_at)
SELECT p, 'init', 1000, 0, 1000, 'seed', 'migration-test', 'trace-init-' || p, now() - interval '200 days' - p * interval '1 minute'
  FROM generate_series(1, ${products}) p;
INSERT INTO inventory_logs (product_id, op_type, delta, before_stock, after_stock, order_id, trace_id, flush_id, created_at)
SELECT p, 'deduct', -1, 1000 - k + 1, 1000 - k, 'order-' || p || '-' || k, 'trace-' || (k % 5), k,
       now() - interval '200 days' + (k * interval '4 days') - p * interval '1 minute'
  FROM generate_series(1, ${products}) p, generate_series(1, ${rowsPerProduct}) k
 ORDER BY k, p;
INSERT INTO inventory_idempotency (product_id, idem_key, op_type, delta, log_id, before_stock, after_stock, stock, reserved, available, version)
SELECT product_id, 'o:deduct:' || order_id, 'deduct', -1, id, before_stock, after_stock, after_stock, 0, after_stock, 2
  FROM inventory_logs WHERE order_id IS NOT NULL;
-- A row a day and a half ahead of the database clock (a skewed writer): the first partition must still hold it.
INSERT INTO inventories (product_id, product_name, stock) VALUES (${products + 1}, 'skewed', 7);
INSERT INTO inventory_logs (product_id, op_type, delta, before_stock, after_stock, created_at)
VALUES (${products + 1}, 'init', 7, 0, 7, now() + interval '36 hours');`;

const checksum = `SELECT count(*)::int AS rows, md5(string_agg(row_to_json(l)::text, ',' ORDER BY id)) AS sum FROM inventory_logs l`;

beforeAll(async () => {
  await ensureDatabase(postgres);
  const before = mkdtempSync(join(tmpdir(), 'migrations-before-006-'));
  try {
    for (const file of readdirSync(migrationsDir).filter((name) => name.endsWith('.sql') && name < '006')) {
      copyFileSync(join(migrationsDir, file), join(before, file));
    }
    await migrate(postgres, before);
  } finally {
    rmSync(before, { recursive: true, force: true });
  }
  client = new pg.Client(connectionOptions(postgres));
  await client.connect();
  await client.query(seedHistory);
});

afterAll(async () => {
  try {
    await client?.end();
    await t?.close();
  } finally {
    await dropDatabase(config);
  }
});

describe('migration 006_1 on a populated database', () => {
  it('keeps every row and makes the old table the first partition', async () => {
    const before = (await client.query(checksum)).rows[0];
    const maxId = (await client.query<{ max: string }>('SELECT max(id) AS max FROM inventory_logs')).rows[0]!.max;
    expect(before.rows).toBe(products * (rowsPerProduct + 1) + 1);

    const applied = await migrate(postgres);
    expect(applied[0]).toBe('006_1_partitioned_logs.sql');

    expect((await client.query(checksum)).rows[0]).toEqual(before);
    const kind = await client.query(`SELECT relkind FROM pg_class WHERE oid = 'inventory_logs'::regclass`);
    expect(kind.rows[0].relkind).toBe('p');
    const partitions = await client.query<{ name: string; bound: string }>(`
      SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'inventory_logs'::regclass`);
    expect(partitions.rows).toHaveLength(1);
    expect(partitions.rows[0]!.name).toBe('inventory_logs_legacy');
    // The day after the skewed row's UTC day, at UTC midnight.
    const expectedTo = await client.query<{ to: Date }>(`
      SELECT date_trunc('day', (now() + interval '36 hours') AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '1 day' AS to`);
    const to = await client.query<{ to: Date }>(`
      SELECT (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']*)''\\)'))[1]::timestamptz AS to
        FROM pg_class c WHERE c.relname = 'inventory_logs_legacy'`);
    expect(partitions.rows[0]!.bound).toMatch(/^FOR VALUES FROM \(MINVALUE\) TO /);
    expect(to.rows[0]!.to).toEqual(expectedTo.rows[0]!.to);

    // The sequence is the same one, continues above every id, and now belongs to the partitioned table.
    const sequence = await client.query(`SELECT pg_get_serial_sequence('inventory_logs', 'id') AS name, nextval('inventory_logs_id_seq') AS next`);
    expect(sequence.rows[0].name).toBe('public.inventory_logs_id_seq');
    expect(Number(sequence.rows[0].next)).toBeGreaterThan(Number(maxId));
  });

  it('serves reads by product, order id and trace id from indexes on every partition', async () => {
    const indexes = await client.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE tablename = 'inventory_logs' ORDER BY indexname`);
    expect(indexes.rows.map((row) => row.indexdef.replace(/^.* USING /, ''))).toEqual([
      'btree (order_id) WHERE (order_id IS NOT NULL)',
      'btree (product_id, id, created_at)',
      'btree (trace_id) WHERE (trace_id IS NOT NULL)',
    ]);
    await client.query('SET enable_seqscan = off');
    for (const query of [
      'SELECT id, flush_id FROM inventory_logs WHERE product_id = 3 ORDER BY id DESC LIMIT 5',
      'SELECT id FROM inventory_logs WHERE product_id = 3 AND flush_id = 7 ORDER BY id',
      `SELECT id FROM inventory_logs WHERE order_id = 'order-3-7' ORDER BY id DESC LIMIT 5`,
      `SELECT id FROM inventory_logs WHERE trace_id = 'trace-2' ORDER BY id DESC LIMIT 5`,
    ]) {
      const plan = (await client.query(`EXPLAIN ${query}`)).rows.map((row) => row['QUERY PLAN'] as string).join('\n');
      expect(plan, query).not.toMatch(/Seq Scan/);
      expect(plan, query).toMatch(/Index/);
    }
    await client.query('RESET enable_seqscan');
  });

  it('lets the service create partitions ahead and write on, continuing every chain', async () => {
    t = await startTestApp(config);
    const report = await t.services.ledger.maintenance.runOnce();
    expect(report?.failures).toEqual([]);
    const partitions = await selectLogPartitions(client);
    expect(partitions[0]!.name).toBe('inventory_logs_legacy');
    for (let index = 1; index < partitions.length; index += 1) expect(partitions[index]!.from).toEqual(partitions[index - 1]!.to);
    // Daily partitions ready through the 7 whole days after today (limits.partitionsAheadIntervals).
    const horizon = nextBoundary(report!.now, 'daily').getTime() + limits.partitionsAheadIntervals * 86_400_000;
    expect(partitions.at(-1)!.to.getTime()).toBe(horizon);

    const answer = await sync(t.app, { product_id: 3, delta: -2, order_id: 'after-migration', trace_id: 'trace-after' });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toMatchObject({ before_stock: 1000 - rowsPerProduct, after_stock: 1000 - rowsPerProduct - 2 });
    const replay = await sync(t.app, { product_id: 3, delta: -1, order_id: 'order-3-7' });
    expect(replay.body.data.replayed).toBe(true);
    const chain = await client.query<{ breaks: number }>(`
      SELECT count(*)::int AS breaks FROM (
        SELECT before_stock, lag(after_stock) OVER (PARTITION BY product_id ORDER BY id) AS previous FROM inventory_logs) x
       WHERE previous IS NOT NULL AND before_stock <> previous`);
    expect(chain.rows[0]!.breaks).toBe(0);
  });
});
