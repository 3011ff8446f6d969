/**
 * Proves the set-based flush on real PostgreSQL, counting the statements the engine's connection
 * sends: a flush of 40 cached products is ONE statement (no per-product statement, no BEGIN or
 * COMMIT); a product whose version another writer moved is left out by that statement and
 * re-planned under its row lock while the others commit in it; replays of keys committed earlier
 * (by this engine, another instance, or before a restart) cost no rolled-back flush; a poisoned op
 * among 100 neighbours is answered alone while they commit; and a product that never accepts its
 * update is refused OVERLOADED after the bounded number of attempts, without holding others back.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeltaOp } from '../../src/domain/stock-ops.js';
import { createBatchedEngine, type StockEngine } from '../../src/engine/stock-engine.js';
import { AppError } from '../../src/errors.js';
import * as limits from '../../src/limits.js';
import { createPool } from '../../src/store/postgres/pool.js';
import { createProduct, dropDatabase, sql, startTestApp, testConfig, type TestApp } from '../helpers/test-env.js';

let t: TestApp;
let pool: pg.Pool;
const applicationName = 'set-based-test';
let statements: string[] = [];

beforeAll(async () => {
  t = await startTestApp(testConfig());
  pool = createPool(t.config.database.postgres, { max: 2, applicationName, pipeline: true });
  // Every statement the test engines send, as its first words.
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    if ((this as unknown as { connectionParameters: { application_name?: string } }).connectionParameters.application_name === applicationName) {
      const config = args[0] as string | { name?: string; text: string };
      statements.push(typeof config === 'string' ? config : config.name ?? config.text.slice(0, 30));
    }
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
});
afterAll(async () => {
  await pool?.end();
  await t?.close();
  if (t) await dropDatabase(t.config);
});

function engine(): StockEngine {
  return createBatchedEngine({
    shards: 1, flushOpsMax: 2048, queueDepthMax: 4096, redisWriteWaitMs: 20,
    pool, cacheWriter: t.services.cacheWriter, metrics: t.services.metrics, log: t.services.log,
  });
}

const delta = (productId: number, amount: number, extra: Partial<DeltaOp> = {}): DeltaOp => ({
  kind: 'delta', productId, delta: amount, opType: amount < 0 ? 'deduct' : 'add', orderId: null, idempotencyKey: null,
  expectedVersion: null, reason: null, operator: null, traceId: null, ...extra,
});

async function flushCount(outcome: string): Promise<number> {
  return (await t.services.metrics.flushes.get()).values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
}

async function products(from: number, count: number, stock = 1000): Promise<number[]> {
  const ids = Array.from({ length: count }, (_, index) => from + index);
  for (const productId of ids) await createProduct(t.app, { product_id: productId, stock });
  return ids;
}

async function rows(ids: number[]): Promise<{ product_id: number; stock: number; version: number }[]> {
  return sql(t.services, 'SELECT product_id, stock, version FROM inventories WHERE product_id = ANY($1) ORDER BY product_id', [ids]);
}

describe('one statement per flush', () => {
  it('writes a flush of 40 cached products, 3 deltas each, with one statement', async () => {
    const ids = await products(100, 40);
    const e = engine();
    await Promise.all(ids.map((productId) => e.submit(delta(productId, -1)))); // loads and caches them
    statements = [];
    const answers = await Promise.all(ids.flatMap((productId) => [-1, -2, 5].map((amount) => e.submit(delta(productId, amount)))));
    expect(statements).toEqual(['flush_apply']);
    expect(answers).toHaveLength(120);
    expect((await rows(ids)).every((row) => row.stock === 1000 - 1 + 2 && row.version === 3)).toBe(true);
    const [logs] = await sql(t.services, `SELECT count(*)::int AS n, count(DISTINCT flush_id)::int AS flushes
                                            FROM inventory_logs WHERE product_id = ANY($1) AND op_type <> 'init'`, [ids]);
    expect(logs).toEqual({ n: 160, flushes: 2 });
    await e.drain();
  });

  it('plans a flush of more products than the generic plan suits as its own unnamed statement, still one', async () => {
    const count = limits.flushGenericPlanProductsMax + 36;
    const ids = await products(5000, count);
    const e = engine();
    await Promise.all(ids.map((productId) => e.submit(delta(productId, -1))));
    statements = [];
    await Promise.all(ids.map((productId) => e.submit(delta(productId, -2))));
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/^\s*WITH known AS MATERIALIZED/); // no name: planned for its sizes
    expect((await rows(ids)).every((row) => row.stock === 997 && row.version === 3)).toBe(true);
    await e.drain();
  });

  it('leaves out a product whose version moved, re-plans it under lock, and commits the others in the same statement', async () => {
    const ids = await products(200, 40);
    const e = engine();
    await Promise.all(ids.map((productId) => e.submit(delta(productId, -1))));
    const moved = [203, 217, 230];
    await sql(t.services, 'UPDATE inventories SET version = version + 1, stock = stock + 100 WHERE product_id = ANY($1)', [moved]);
    statements = [];
    const answers = await Promise.all(ids.map((productId) => e.submit(delta(productId, -10))));
    expect(statements[0]).toBe('flush_apply');
    expect(statements.slice(1)).toEqual(['BEGIN', 'flush_select_products_for_update', 'flush_apply', 'COMMIT']);
    for (const [index, answer] of answers.entries()) {
      const productId = ids[index]!;
      expect(answer.stock).toBe(moved.includes(productId) ? 1089 : 989);
    }
    const flushes = await sql<{ product_id: number; flush_id: string }>(t.services,
      `SELECT product_id, flush_id::text FROM inventory_logs WHERE product_id = ANY($1) AND delta = -10`, [ids]);
    const movedFlushes = new Set(flushes.filter((row) => moved.includes(row.product_id)).map((row) => row.flush_id));
    const otherFlushes = new Set(flushes.filter((row) => !moved.includes(row.product_id)).map((row) => row.flush_id));
    expect([movedFlushes.size, otherFlushes.size]).toEqual([1, 1]);
    expect([...movedFlushes][0]).not.toBe([...otherFlushes][0]);
    await e.drain();
  });
});

describe('replays without rollback', () => {
  it('answers keys committed by this engine, another instance and before a restart with their first result, rolling nothing back', async () => {
    const ids = await products(300, 10);
    const first = engine();
    const other = engine();
    const committed = await Promise.all(ids.map((productId) => first.submit(delta(productId, -3, { orderId: `mine-${productId}` }))));
    const theirs = await Promise.all(ids.map((productId) => other.submit(delta(productId, -4, { orderId: `theirs-${productId}` }))));
    await first.drain();
    const restarted = engine(); // an engine that never saw any of these keys
    const rolledBackBefore = await flushCount('rolled_back');
    for (const replaying of [other, restarted]) {
      statements = [];
      const answers = await Promise.all(ids.flatMap((productId) => [
        replaying.submit(delta(productId, -3, { orderId: `mine-${productId}` })),
        replaying.submit(delta(productId, -1, { orderId: `fresh-${productId}-${replaying === other ? 'a' : 'b'}` })),
        replaying.submit(delta(productId, -4, { orderId: `theirs-${productId}` })),
      ]));
      for (const [index, productId] of ids.entries()) {
        expect(answers[3 * index]).toMatchObject({ replayed: true, logId: committed[index]!.logId });
        expect(answers[3 * index + 1]).toMatchObject({ replayed: false });
        expect(answers[3 * index + 2]).toMatchObject({ replayed: true, logId: theirs[index]!.logId });
        expect(answers[3 * index + 1]!.productId).toBe(productId);
      }
    }
    expect(await flushCount('rolled_back')).toBe(rolledBackBefore);
    expect((await rows(ids)).every((row) => row.stock === 1000 - 3 - 4 - 1 - 1)).toBe(true);
    const [logs] = await sql(t.services, `SELECT count(*)::int AS n FROM inventory_logs WHERE product_id = ANY($1) AND op_type = 'deduct'`, [ids]);
    expect(logs!.n).toBe(40);
    await Promise.all([other.drain(), restarted.drain()]);
  });

  it('keeps a product held back by a stored key from delaying the others of its flush', async () => {
    const ids = await products(400, 5);
    const e = engine();
    await e.submit(delta(400, -1, { idempotencyKey: 'once' }));
    const fresh = engine();
    await Promise.all(ids.map((productId) => fresh.submit(delta(productId, -1)))); // cache all five
    statements = [];
    const answers = await Promise.all(ids.map((productId) =>
      fresh.submit(delta(productId, -2, productId === 400 ? { idempotencyKey: 'once', delta: -1 } : {}))));
    expect(answers[0]).toMatchObject({ replayed: true });
    // The held-back product's next plan is a replay of its stored result: nothing more to send.
    expect(statements).toEqual(['flush_apply']);
    const flushes = await sql<{ flush_id: string }>(t.services,
      `SELECT DISTINCT flush_id::text FROM inventory_logs WHERE product_id = ANY($1) AND delta = -2`, [ids.slice(1)]);
    expect(flushes).toHaveLength(1);
    await Promise.all([e.drain(), fresh.drain()]);
  });
});

describe('isolation and bounds', () => {
  it('answers a poisoned op alone while its 100 neighbours commit', async () => {
    const ids = await products(500, 20);
    const e = engine();
    const rolledBackBefore = await flushCount('rolled_back');
    const ops = ids.flatMap((productId) => Array.from({ length: 5 }, () => delta(productId, -1)));
    ops.splice(37, 0, delta(507, -1, { reason: 'NUL \u0000 cannot be stored in text' }));
    const answers = await Promise.allSettled(ops.map((op) => e.submit(op)));
    const refused = answers.filter((answer) => answer.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect(((refused[0] as PromiseRejectedResult).reason as AppError).code).toBe('OPERATION_REJECTED');
    expect(answers[37]!.status).toBe('rejected');
    expect((await rows(ids)).every((row) => row.stock === 995)).toBe(true);
    const [logs] = await sql(t.services, `SELECT count(*)::int AS n FROM inventory_logs WHERE product_id = ANY($1) AND op_type = 'deduct'`, [ids]);
    expect(logs!.n).toBe(100);
    expect(await flushCount('rolled_back')).toBeGreaterThan(rolledBackBefore);
    await e.drain();
  });

  it('answers a reserve whose expired key meets its old reservation with RESERVATION_EXISTS, alone', async () => {
    const ids = await products(700, 4);
    const e = engine();
    const reserve = (productId: number, orderId: string) => ({
      kind: 'reserve' as const, productId, quantity: 1, orderId, ttlSeconds: 600, reason: null, operator: null, traceId: null,
    });
    await e.submit(reserve(700, 'old-order'));
    await sql(t.services, `DELETE FROM inventory_idempotency WHERE product_id = 700`); // as if the key expired
    const answers = await Promise.allSettled([reserve(700, 'old-order'), ...ids.map((id) => reserve(id, 'new-order'))]
      .map((op) => e.submit(op)));
    expect(((answers[0] as PromiseRejectedResult).reason as AppError).code).toBe('RESERVATION_EXISTS');
    expect(answers.slice(1).map((answer) => answer.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect((await rows(ids)).length).toBe(4);
    const [held] = await sql(t.services, 'SELECT count(*)::int AS n FROM inventory_reservations WHERE product_id = ANY($1)', [ids]);
    expect(held!.n).toBe(5);
    await e.drain();
  });

  it('refuses OVERLOADED after the bounded attempts when a product never accepts its update, committing the others', async () => {
    const ids = await products(600, 3);
    await sql(t.services, `CREATE FUNCTION refuse_601() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`);
    await sql(t.services, `CREATE TRIGGER refuse_601 BEFORE UPDATE ON inventories FOR EACH ROW
                             WHEN (OLD.product_id = 601) EXECUTE FUNCTION refuse_601()`);
    try {
      const e = engine();
      statements = [];
      const answers = await Promise.allSettled(ids.map((productId) => e.submit(delta(productId, -1))));
      expect(answers.map((answer) => answer.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(((answers[1] as PromiseRejectedResult).reason as AppError).code).toBe('OVERLOADED');
      expect((await rows(ids)).map((row) => row.stock)).toEqual([999, 1000, 999]);
      const attempts = statements.filter((name) => name === 'flush_apply').length;
      expect(attempts).toBeLessThanOrEqual(limits.flushAttemptsMax + 1);
      await e.drain();
    } finally {
      await sql(t.services, 'DROP TRIGGER refuse_601 ON inventories');
    }
  });
});

describe('plans that stay index-driven', () => {
  /**
   * A prepared statement keeps its generic plan; built right after a start, when the statistics
   * say the tables are empty, a join from the flush's keys to the stored results may become a
   * hash join over a sequential scan that then reads the whole table on every flush (measured:
   * 11 of 12.7 ms of a 40-product flush over 72,000 stored keys). The generic plans must look
   * every key and reservation up by index, whatever the statistics say.
   */
  const planOf = async (client: pg.PoolClient, statement: { text: string; values?: unknown[] }): Promise<string> => {
    await client.query('DEALLOCATE ALL');
    await client.query(`PREPARE probe AS ${statement.text}`);
    const literals = (statement.values ?? []).map((value) => (value === null ? 'NULL' : client.escapeLiteral(String(value))));
    const [row] = (await client.query(`EXPLAIN (FORMAT JSON) EXECUTE probe(${literals.join(', ')})`)).rows;
    return JSON.stringify(row['QUERY PLAN']);
  };
  const scansOf = (plan: string, relation: string): string[] =>
    [...plan.matchAll(/"Node Type":"([^"]+)"[^{}]*?"Relation Name":"([a-z_]+)"/g)].filter((m) => m[2] === relation && m[1] !== 'ModifyTable').map((m) => m[1]!);

  it('looks stored keys and ended reservations up by index in the generic plans of the flush statements', async () => {
    const client = await pool.connect();
    try {
      // Many stored keys and reservations the statistics do not know about yet (no ANALYZE).
      await client.query(`INSERT INTO inventory_idempotency (product_id, idem_key, op_type, delta, log_id, before_stock, after_stock,
                                                             stock, reserved, available, version)
                          SELECT 1 + g % 50, 'o:deduct:stale-' || g, 'deduct', -1, g, 0, -1, 0, 0, 0, 1 FROM generate_series(1, 20000) g`);
      await client.query(`SET plan_cache_mode = force_generic_plan`);
      const keys = [{ productId: 7, idemKey: 'o:deduct:stale-7', applies: true }];
      const { applyFlush } = await import('../../src/store/postgres/flush-statements.js');
      const { selectStoredResults, selectReservations } = await import('../../src/store/postgres/flush-load-queries.js');
      const flush = applyFlush({
        flushId: 1, keys, versionChecks: [],
        products: [{ productId: 7, baseVersion: 1, netStock: -1, netReserved: 0, productName: null, status: null, minStock: null, maxStock: null }],
        entries: [{ productId: 7, opType: 'deduct', delta: -1, reservedDelta: 0, beforeStock: 1, afterStock: 0, orderId: 'stale-7',
          reason: null, operator: null, traceId: null, idemKey: 'o:deduct:stale-7', reservation: null }],
      });
      for (const statement of [flush, selectStoredResults(keys)]) {
        expect(scansOf(await planOf(client, statement), 'inventory_idempotency')).toEqual(['Index Scan']);
      }
      await client.query(`INSERT INTO inventory_reservations (product_id, order_id, quantity, expires_at, reserve_log_id)
                          SELECT 1 + g % 50, 'stale-' || g, 1, now() + interval '1 hour', g FROM generate_series(1, 20000) g`);
      const confirm = applyFlush({
        flushId: 1, keys: [], versionChecks: [],
        products: [{ productId: 7, baseVersion: 1, netStock: -1, netReserved: -1, productName: null, status: null, minStock: null, maxStock: null }],
        entries: [{ productId: 7, opType: 'confirm', delta: -1, reservedDelta: -1, beforeStock: 1, afterStock: 0, orderId: 'stale-7',
          reason: null, operator: null, traceId: null, idemKey: null, reservation: { action: 'confirmed', reservationId: 7 } }],
      });
      for (const statement of [confirm, selectReservations([{ productId: 7, reservationId: 7 }])]) {
        expect(scansOf(await planOf(client, statement), 'inventory_reservations')).toEqual(['Index Scan']);
      }
    } finally {
      await client.query('RESET plan_cache_mode');
      await client.query('DEALLOCATE ALL');
      await client.query(`DELETE FROM inventory_idempotency WHERE idem_key LIKE 'o:deduct:stale-%'`);
      await client.query(`DELETE FROM inventory_reservations WHERE order_id LIKE 'stale-%'`);
      client.release();
    }
  });
});
