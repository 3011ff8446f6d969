/**
 * Proves every write route answers truthfully while PostgreSQL connections die under it: a killer
 * terminates the service's backends (engine and API pools) every 120 ms while sync, batch sync,
 * reserve, confirm, release and PUT run (≥ 1,000 writes each); afterwards each answer is checked
 * against the database: a 2xx is committed, any other code ("nothing was applied", a refusal) is
 * not, and only COMMIT_OUTCOME_UNKNOWN may go either way. Zero mismatches.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectionOptions } from '../src/store/postgres/pool.js';
import { call } from './helpers/api.js';
import { createProduct, dropDatabase, sql, startTestApp, testConfig, type TestApp } from './helpers/test-env.js';

let t: TestApp;
beforeAll(async () => { t = await startTestApp(testConfig({ engine: { shards: 4 } })); });
afterAll(async () => { await t?.close(); if (t) await dropDatabase(t.config); });

const unknown = 'COMMIT_OUTCOME_UNKNOWN';
interface Outcome { route: string; code: string; committed: boolean }

/** Kills the service's backends every `everyMs` until stopped. */
function startKiller(everyMs: number): { stop(): Promise<number> } {
  const killer = new pg.Client(connectionOptions(t.config.database.postgres));
  let kills = 0;
  let stopped = false;
  const loop = (async () => {
    await killer.connect();
    while (!stopped) {
      const { rowCount } = await killer.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name IN ('inventory-engine', 'inventory-api') AND datname = current_database()`);
      kills += rowCount ?? 0;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
    await killer.end();
  })();
  return { stop: async () => { stopped = true; await loop; return kills; } };
}

/** Runs `count` calls, `parallel` at a time. */
async function inWaves<T>(count: number, parallel: number, run: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count) {
      const index = next++;
      results[index] = await run(index);
    }
  }));
  return results;
}

const codeOf = (answer: { status: number; body: { code?: string } }) => (answer.status < 300 ? 'OK' : answer.body.code ?? String(answer.status));

function mismatches(outcomes: Outcome[]): Outcome[] {
  return outcomes.filter(({ code, committed }) => code !== unknown && (code === 'OK') !== committed);
}

it('answers every write truthfully while connections die', { timeout: 240_000 }, async () => {
  const stockProducts = Array.from({ length: 40 }, (_, index) => 1 + index);
  const putProducts = Array.from({ length: 100 }, (_, index) => 1001 + index);
  for (const productId of [...stockProducts, ...putProducts]) await createProduct(t.app, { product_id: productId, stock: 1_000_000 });
  const product = (index: number) => stockProducts[index % stockProducts.length]!;
  // Reservations for the confirm and release phases, made before the connections start dying.
  const setup = await inWaves(2000, 100, (i) => call<{ reservation_id: number }>(t.app, 'POST', '/api/v1/reservations', {
    product_id: product(i), quantity: 1, order_id: `held-${i}`, ttl_seconds: 3600,
  }));
  expect(setup.every((answer) => answer.status === 201)).toBe(true);
  const held = setup.map((answer) => answer.body.data.reservation_id);
  const phases: Record<string, number> = {};
  const timed = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const phaseStarted = performance.now();
    try { return await run(); } finally { phases[name] = Math.round(performance.now() - phaseStarted); }
  };

  const killer = startKiller(120);
  const started = performance.now();
  const syncs = await timed('sync', () => inWaves(1000, 200, (i) => call(t.app, 'POST', '/api/v1/sync-stock', { product_id: product(i), delta: -1, order_id: `s${i}` })));
  const batches = await timed('batch', () => inWaves(10, 10, (b) => call<{ results: { success: boolean; code?: string }[] }>(t.app, 'POST', '/api/v1/sync-stock/batch', {
    items: Array.from({ length: 100 }, (_, i) => ({ product_id: product(b * 100 + i), delta: -1, order_id: `b${b}-${i}` })),
  })));
  const reserves = await timed('reserve', () => inWaves(1000, 200, (i) => call<{ reservation_id: number }>(t.app, 'POST', '/api/v1/reservations', {
    product_id: product(i), quantity: 1, order_id: `r${i}`, ttl_seconds: 3600,
  })));
  const puts = await timed('put', () => inWaves(1000, 100, async (i) => {
    const productId = putProducts[i % putProducts.length]!;
    for (;;) {
      const current = await call<{ version: number }>(t.app, 'GET', `/api/v1/inventory/${productId}`);
      if (current.status !== 200) continue;
      return call(t.app, 'PUT', `/api/v1/inventory/${productId}`, { version: current.body.data.version, product_name: `p${i}`, reason: `put-${i}` });
    }
  }));
  const toConfirm = held.filter((_, index) => index % 2 === 0);
  const toRelease = held.filter((_, index) => index % 2 === 1);
  const confirms = await timed('confirm', () => inWaves(toConfirm.length, 200, (i) => call(t.app, 'POST', `/api/v1/reservations/${toConfirm[i]}/confirm`)));
  const releases = await timed('release', () => inWaves(toRelease.length, 200, (i) => call(t.app, 'POST', `/api/v1/reservations/${toRelease[i]}/release`)));
  const kills = await killer.stop();

  const logged = new Set((await sql<{ order_id: string }>(t.services,
    `SELECT order_id FROM inventory_logs WHERE op_type = 'deduct' AND order_id IS NOT NULL`)).map((row) => row.order_id));
  const reserved = new Set((await sql<{ order_id: string }>(t.services, 'SELECT order_id FROM inventory_reservations')).map((row) => row.order_id));
  const statuses = new Map((await sql<{ id: number; status: string }>(t.services, 'SELECT id, status FROM inventory_reservations'))
    .map((row) => [row.id, row.status]));
  const updates = new Set((await sql<{ reason: string }>(t.services, `SELECT reason FROM inventory_logs WHERE op_type = 'update'`)).map((row) => row.reason));

  const outcomes: Outcome[] = [
    ...syncs.map((answer, i) => ({ route: 'sync', code: codeOf(answer), committed: logged.has(`s${i}`) })),
    ...batches.flatMap((answer, b) => (answer.status === 200
      ? answer.body.data.results.map((item, i) => ({ route: 'batch', code: item.success ? 'OK' : item.code!, committed: logged.has(`b${b}-${i}`) }))
      : Array.from({ length: 100 }, (_, i) => ({ route: 'batch', code: codeOf(answer), committed: logged.has(`b${b}-${i}`) })))),
    ...reserves.map((answer, i) => ({ route: 'reserve', code: codeOf(answer), committed: reserved.has(`r${i}`) })),
    ...confirms.map((answer, i) => ({ route: 'confirm', code: codeOf(answer), committed: statuses.get(toConfirm[i]!) === 'confirmed' })),
    ...releases.map((answer, i) => ({ route: 'release', code: codeOf(answer), committed: statuses.get(toRelease[i]!) === 'released' })),
    ...puts.map((answer, i) => ({ route: 'put', code: codeOf(answer), committed: updates.has(`put-${i}`) })),
  ];
  const byRoute = (route: string) => outcomes.filter((outcome) => outcome.route === route);
  const summary = Object.fromEntries(['sync', 'batch', 'reserve', 'confirm', 'release', 'put'].map((route) => {
    const all = byRoute(route);
    return [route, { writes: all.length, failed: all.filter((o) => o.code !== 'OK').length, unknown: all.filter((o) => o.code === unknown).length }];
  }));
  console.log(`kills ${kills} in ${Math.round(performance.now() - started)} ms`, JSON.stringify(phases), JSON.stringify(summary));
  expect(kills).toBeGreaterThan(20);
  expect(mismatches(outcomes)).toEqual([]);
  for (const route of ['sync', 'batch', 'reserve', 'put', 'confirm', 'release']) expect(byRoute(route).length).toBeGreaterThanOrEqual(1000);
  // The stock moved by exactly the committed deductions and confirms: nothing applied twice.
  const [totals] = await sql<{ stock: string }>(t.services, 'SELECT sum(stock)::text AS stock FROM inventories WHERE product_id <= 40');
  const confirmed = [...statuses.values()].filter((status) => status === 'confirmed').length;
  expect(Number(totals!.stock)).toBe(40 * 1_000_000 - logged.size - confirmed);
});
