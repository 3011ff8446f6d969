// Proves history is cut safely: partitions are created ahead of the cycle's clock and a partition
// wholly past history.retention_days is dropped only after every product with rows in it has a
// checkpoint (stock, reserved), so checkpoint + the sum of later rows still equals each row, also
// for a row with a lower id that landed in the next partition. The cycle's clock is moved 90 days
// on; later history is made by moving rows to later partitions (UPDATE of created_at moves a row).
// The audit agrees from each checkpoint. Also: an interrupted cut resumes, another instance holding the lock makes a cycle skip, and the
// id sequence outlives the partition it came with.
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { intervalStart, nextBoundary, partitionName } from '../src/ledger/partition-plan.js';
import * as limits from '../src/limits.js';
import { createLogPartition, selectLogPartitions } from '../src/store/postgres/partition-queries.js';
import { connectionOptions } from '../src/store/postgres/pool.js';
import { call, reserve, finishReservation } from './helpers/api.js';
import { createProduct, sql, sync, testConfig } from './helpers/test-env.js';
import { withTestApp } from './helpers/with-test-app.js';
import { parsePrometheusText, valueOf } from './helpers/prometheus-text.js';

const config = testConfig({ history: { retention_days: 90 } });
const t = withTestApp(config);
const dayMs = 86_400_000;

interface LedgerCheck { product_id: number; stock: number; reserved: number; ledger_stock: number; ledger_reserved: number }

/** The chain identity for every product: checkpoint + Σ rows after it, against the row. */
async function ledgerChecks(): Promise<LedgerCheck[]> {
  return sql<LedgerCheck>(t.services, `
    SELECT i.product_id, i.stock, i.reserved,
           COALESCE(c.stock, 0) + COALESCE(sum(l.delta), 0)::bigint AS ledger_stock,
           COALESCE(c.reserved, 0) + COALESCE(sum(l.reserved_delta), 0)::bigint AS ledger_reserved
      FROM inventories i
      LEFT JOIN inventory_checkpoints c USING (product_id)
      LEFT JOIN inventory_logs l ON l.product_id = i.product_id AND l.id > COALESCE(c.log_id, 0)
     GROUP BY i.product_id, i.stock, i.reserved, c.stock, c.reserved
     ORDER BY i.product_id`);
}

async function partitionOf(logId: number): Promise<string> {
  return (await sql<{ name: string }>(t.services, 'SELECT tableoid::regclass::text AS name FROM inventory_logs WHERE id = $1', [logId]))[0]!.name;
}

let legacyTo: Date;
let lowIdLate: number;

beforeAll(async () => {
  await t.services.ledger.maintenance.runOnce();
  legacyTo = (await selectLogPartitions(t.services.readPool)).find((p) => p.name === 'inventory_logs_legacy')!.to;
  for (const productId of [1, 2, 3]) await createProduct(t.app, { product_id: productId, stock: 100 });
  for (let i = 0; i < 5; i += 1) expect((await sync(t.app, { product_id: 1, delta: -1, order_id: `one-${i}` })).status).toBe(200);
  const held = await reserve(t.app, { product_id: 1, quantity: 4, order_id: 'held', ttl_seconds: 3600 });
  const done = await reserve(t.app, { product_id: 1, quantity: 3, order_id: 'done', ttl_seconds: 3600 });
  expect([held.status, done.status]).toEqual([201, 201]);
  expect((await finishReservation(t.app, done.body.data.reservation_id as number, 'confirm')).status).toBe(200);
  for (let i = 0; i < 4; i += 1) expect((await sync(t.app, { product_id: 2, delta: 2, order_id: `two-${i}` })).status).toBe(200);
  // Later history: product 1's next rows and product 3's rows land two days on, in a later partition.
  const mark = (await sql<{ id: number }>(t.services, 'SELECT max(id)::bigint AS id FROM inventory_logs'))[0]!.id;
  for (let i = 0; i < 3; i += 1) expect((await sync(t.app, { product_id: 1, delta: -2, order_id: `later-${i}` })).status).toBe(200);
  expect((await sync(t.app, { product_id: 3, delta: 7 })).status).toBe(200);
  await sql(t.services, `UPDATE inventory_logs SET created_at = created_at + interval '2 days' WHERE id > $1`, [mark]);
  await sql(t.services, `UPDATE inventory_logs SET created_at = created_at + interval '2 days' WHERE product_id = 3`);
  // Product 2's third row started its transaction later but took a lower id than the fourth:
  // it sits at the next partition's first instant, while the fourth is in the cut partition.
  const rowsOfTwo = await sql<{ id: number }>(t.services, `SELECT id FROM inventory_logs WHERE product_id = 2 AND op_type = 'add' ORDER BY id`);
  lowIdLate = rowsOfTwo[2]!.id;
  await sql(t.services, 'UPDATE inventory_logs SET created_at = $2 WHERE id = $1', [lowIdLate, legacyTo]);
});

describe('history cut', () => {
  it('writes a checkpoint for every product of the partition, then detaches and drops it', async () => {
    for (const check of await ledgerChecks()) expect([check.ledger_stock, check.ledger_reserved]).toEqual([check.stock, check.reserved]);
    const lastCut = await sql<{ product_id: number; id: number; after_stock: number }>(t.services, `
      SELECT DISTINCT ON (product_id) product_id, id, after_stock FROM inventory_logs
       WHERE created_at < $1 ORDER BY product_id, id DESC`, [legacyTo]);
    expect(lastCut.map((row) => row.product_id)).toEqual([1, 2]);

    const now = new Date(legacyTo.getTime() + 90 * dayMs + 3_600_000);
    const report = await t.services.ledger.maintenance.runOnce({ now });
    expect(report?.failures).toEqual([]);
    expect(report?.partitionsDropped).toEqual(['inventory_logs_legacy']);
    expect(report?.checkpointsWritten).toBe(2);

    const checkpoints = await sql(t.services, 'SELECT product_id, log_id, stock, stock_by_sum, reserved, rows_cut, partition_name FROM inventory_checkpoints ORDER BY product_id');
    expect(checkpoints).toEqual([
      // Product 1: init, 5 deductions, two reserves and a confirm were cut; 4 stay reserved (held).
      { product_id: 1, log_id: lastCut[0]!.id, stock: 92, stock_by_sum: 92, reserved: 4, rows_cut: 9, partition_name: 'inventory_logs_legacy' },
      // Product 2: the row with the lower id in the next partition is covered too (4 adds of 2).
      { product_id: 2, log_id: lastCut[1]!.id, stock: 108, stock_by_sum: 108, reserved: 0, rows_cut: 5, partition_name: 'inventory_logs_legacy' },
    ]);
    expect(await partitionOf(lowIdLate)).not.toBe('inventory_logs_legacy');
    expect(await sql(t.services, `SELECT 1 FROM pg_class WHERE relname = 'inventory_logs_legacy'`)).toHaveLength(0);
    expect(await sql(t.services, `SELECT status, products, checkpoints FROM inventory_log_cuts`))
      .toEqual([{ status: 'dropped', products: 2, checkpoints: 2 }]);

    // The chain still closes for every product, from its checkpoint.
    const checks = await ledgerChecks();
    expect(checks).toHaveLength(3);
    for (const check of checks) expect([check.ledger_stock, check.ledger_reserved]).toEqual([check.stock, check.reserved]);

    // The audit agrees from each checkpoint, skipping the low-id row the checkpoint covers.
    for (const productId of [1, 2, 3]) {
      const audit = await call<{ agrees: boolean; checkpoint: { log_id: number } | null; rows_checked: number }>(t.app, 'GET', `/api/v1/inventory/${productId}/audit`);
      expect(audit.body.data.agrees, `product ${productId}`).toBe(true);
    }
    const auditOfTwo = await call<{ checkpoint: { log_id: number } | null; rows_checked: number }>(t.app, 'GET', '/api/v1/inventory/2/audit');
    expect(auditOfTwo.body.data).toMatchObject({ checkpoint: { log_id: lastCut[1]!.id }, rows_checked: 0 });

    // Partitions are ready ahead of the moved clock.
    const partitions = await selectLogPartitions(t.services.readPool);
    const horizon = nextBoundary(now, 'daily').getTime() + limits.partitionsAheadIntervals * dayMs;
    expect(partitions.at(-1)!.to.getTime()).toBe(horizon);

    const metrics = parsePrometheusText((await t.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(valueOf(metrics, 'inventory_ledger_partitions_dropped_total')).toBe(1);
    expect(valueOf(metrics, 'inventory_ledger_checkpoints_written_total')).toBe(2);
  });

  it('keeps writing with the same id sequence, and a second cycle cuts nothing more', async () => {
    // The moved clock cut the partition that also holds today (the legacy one runs to tomorrow):
    // give today its partition back, as the real clock would never have cut it.
    const client = await t.services.readPool.connect();
    try {
      const from = intervalStart(new Date(), 'daily');
      await createLogPartition(client, { name: partitionName(from), from, to: legacyTo });
    } finally {
      client.release();
    }
    const answer = await sync(t.app, { product_id: 2, delta: -1 });
    expect(answer.status).toBe(200);
    expect(answer.body.data.log_id).toBeGreaterThan(lowIdLate);
    const again = await t.services.ledger.maintenance.runOnce({ now: new Date(legacyTo.getTime() + 90 * dayMs - 3_600_000) });
    expect(again).toMatchObject({ partitionsDropped: [], checkpointsWritten: 0, failures: [] });
  });

  it('finishes a cut interrupted after checkpointing or after its detach', async () => {
    const partitions = await selectLogPartitions(t.services.readPool);
    // The partition holding product 1's later rows: its cut was begun by an earlier cycle that stopped.
    const later = await partitionOf((await sql<{ id: number }>(t.services, `SELECT max(id)::bigint AS id FROM inventory_logs WHERE product_id = 1`))[0]!.id);
    const begun = partitions.find((p) => p.name === later)!;
    await sql(t.services, `INSERT INTO inventory_log_cuts (partition_name, from_at, to_at) VALUES ($1, $2, $3)`, [begun.name, begun.from, begun.to]);
    // Another one was detached by hand-stopped maintenance and never dropped.
    const detached = partitions.at(-1)!;
    await sql(t.services, `INSERT INTO inventory_log_cuts (partition_name, from_at, to_at, status) VALUES ($1, $2, $3, 'detaching')`,
      [detached.name, detached.from, detached.to]);
    await sql(t.services, `ALTER TABLE inventory_logs DETACH PARTITION ${detached.name}`);

    const report = await t.services.ledger.maintenance.runOnce();
    expect(report?.failures).toEqual([]);
    expect(report?.partitionsDropped.sort()).toEqual([begun.name, detached.name].sort());
    expect(report?.checkpointsWritten).toBe(2); // products 1 and 3 had rows there
    for (const check of await ledgerChecks()) expect([check.ledger_stock, check.ledger_reserved]).toEqual([check.stock, check.reserved]);
    expect(await sql(t.services, `SELECT 1 FROM pg_class WHERE relname = ANY($1::text[])`, [[begun.name, detached.name]])).toHaveLength(0);
  });

  it('skips the cycle while another instance holds the maintenance lock', async () => {
    const other = new pg.Client(connectionOptions(config.database.postgres));
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [0x1e7e_0601]);
      expect(await t.services.ledger.maintenance.runOnce()).toBeNull();
    } finally {
      await other.end();
    }
    const metrics = parsePrometheusText((await t.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(valueOf(metrics, 'inventory_ledger_maintenance_runs_total', { outcome: 'skipped' })).toBe(1);
    expect((await t.services.ledger.maintenance.runOnce())?.failures).toEqual([]);
  });
});
