/**
 * Proves the rebuild of Redis from PostgreSQL on a private redis-server: after FLUSHDB, one
 * POST /health/rebuild brings every key of 10,000 products (stock and version) to exactly the
 * database's values, and its report (kind rebuild) counts what it wrote and what it left alone
 * because Redis held a newer version (keys left by a sync that committed after the rebuild read
 * the row: the guard's deterministic case); a rebuild racing 2,000 syncs on the last products of
 * every span leaves no key older than its row, and its skipped keys show that syncs did land
 * between a span's read and its write; in seckill mode only missing keys are written (the front
 * end's live counters stay), and the end is announced as a rebuild.finished outbox row. Every
 * check compares each product's keys with its row.
 */
import { expect } from 'vitest';
import { reconcilePartitionsPerWorker } from '../src/limits.js';
import { splitSpan } from '../src/reconcile/reconcile-report.js';
import type { Services } from '../src/services.js';
import { privateRedisAppTest } from './helpers/app-test.js';
import { call } from './helpers/api.js';
import { seedProducts } from './helpers/reconcile-fixtures.js';
import { sql, sync, type TestApp } from './helpers/test-env.js';
import { pollUntil } from './helpers/wait.js';

interface RunReport { run_id: string; kind: string; status: string; trigger: string; scanned: number; keys_written: number; keys_skipped: number; duration_ms: number; rows_per_second: number }

/** MGETs in slices, so a check of many keys on a loaded machine stays within the command timeout. */
async function readAll(services: Services, keys: string[]): Promise<(string | null)[]> {
  const values: (string | null)[] = [];
  for (let start = 0; start < keys.length; start += 2000) values.push(...await services.redis.mget(keys.slice(start, start + 2000)));
  return values;
}

/** Every active product's row beside its two Redis keys, with the ones that disagree. */
export async function keysAgainstRows(services: Services) {
  const rows = await sql<{ product_id: number; available: number; version: number }>(services,
    `SELECT product_id, available, version FROM inventories WHERE status = 'active' ORDER BY product_id`);
  const stocks = await readAll(services, rows.map((row) => services.keys.stock(row.product_id)));
  const versions = await readAll(services, rows.map((row) => services.keys.version(row.product_id)));
  const wrong = rows.filter((row, index) => stocks[index] !== String(row.available) || versions[index] !== String(row.version))
    .map((row) => ({ ...row, redis: stocks[rows.indexOf(row)], redis_version: versions[rows.indexOf(row)] }));
  return { products: rows.length, wrong };
}

async function rebuildAndWait(t: TestApp): Promise<RunReport> {
  const started = await call<{ run_id: string; joined: boolean; status_url: string }>(t.app, 'POST', '/api/v1/health/rebuild');
  expect(started.status).toBe(202);
  expect(started.body.data.status_url).toBe(`/api/v1/health/runs/${started.body.data.run_id}`);
  const report = await pollUntil(async () => (await call<RunReport>(t.app, 'GET', started.body.data.status_url)).body.data,
    (run) => run.status !== 'running', { timeoutMs: 30_000, intervalMs: 50 });
  expect(report).toMatchObject({ run_id: started.body.data.run_id, kind: 'rebuild', status: 'completed', trigger: 'manual' });
  return report;
}

const cache = privateRedisAppTest({ inventory: { health_check: { workers: 2, chunk_rows: 1000 } } });

cache('after FLUSHDB, one rebuild brings every key of 10,000 products back to the database values', async ({ t }) => {
  await seedProducts(t.services, 10_000, { stockOf: (index) => (index * 37) % 5000 });
  // Versions and reservations that differ from product to product, so each key has its own value.
  await sql(t.services, `UPDATE inventories SET reserved = product_id % 3, version = 1 + product_id % 5 WHERE stock >= 3`);
  await t.services.redis.flushdb();
  const report = await rebuildAndWait(t);
  expect(report).toMatchObject({ scanned: 10_000, keys_written: 10_000, keys_skipped: 0 });
  expect(report.rows_per_second).toBeGreaterThan(0);
  expect(await keysAgainstRows(t.services)).toEqual({ products: 10_000, wrong: [] });
  expect(await t.services.redis.get(t.services.keys.filledMarker)).toBe(report.run_id);
});

cache('leaves keys whose version is newer than the row alone, and counts them', async ({ t }) => {
  // A newer version in Redis than in the row: what a sync committing during the read leaves.
  for (const productId of [11, 12, 13]) await t.services.redis.set(t.services.keys.version(productId), '999');
  for (const productId of [11, 12, 13]) await t.services.redis.set(t.services.keys.stock(productId), '77');
  const report = await rebuildAndWait(t);
  expect(report).toMatchObject({ scanned: 10_000, keys_written: 9_997, keys_skipped: 3 });
  const { wrong } = await keysAgainstRows(t.services);
  expect(wrong.map((row) => [row.product_id, row.redis, row.redis_version])).toEqual([[11, '77', '999'], [12, '77', '999'], [13, '77', '999']]);
});

cache('two requests while a rebuild goes get the same run', async ({ t }) => {
  const [first, second] = await Promise.all([
    call<{ run_id: string; joined: boolean }>(t.app, 'POST', '/api/v1/health/rebuild'),
    call<{ run_id: string; joined: boolean }>(t.app, 'POST', '/api/v1/health/rebuild'),
  ]);
  expect(second.body.data.run_id).toBe(first.body.data.run_id);
  expect([first.body.data.joined, second.body.data.joined].sort()).toEqual([false, true]);
  await pollUntil(() => sql<{ status: string }>(t.services, 'SELECT status FROM reconcile_runs WHERE run_id = $1', [first.body.data.run_id]),
    (rows) => rows[0]?.status === 'completed', { timeoutMs: 30_000 });
  const runs = await sql(t.services, `SELECT run_id FROM reconcile_runs WHERE kind = 'rebuild'`);
  expect(runs).toHaveLength(3);
});

// A post-commit write that times out leaves its key behind for reconciliation, which is not what
// this file is about: on a loaded machine the default 500 ms could expire under the race's burst.
const race = privateRedisAppTest({ redis: { command_timeout_ms: 5000 }, inventory: { health_check: { workers: 2, chunk_rows: 200 } } });

race('a rebuild racing 2,000 syncs never leaves a key older than its row', async ({ t }) => {
  const products = 50_000;
  await sql(t.services, `INSERT INTO inventories (product_id, product_name, stock) SELECT g, 'p' || g, 100000 FROM generate_series(1, $1::int) g`,
    [products]);
  await rebuildAndWait(t); // starts the worker threads, so the race below is with the rebuild's writes
  await t.services.redis.flushdb();
  // The hot products are the last of each span: a span's cursor reads them (its snapshot taken when
  // the span began) long after syncs committed newer versions of them and wrote those to Redis.
  const spans = splitSpan(1, products, t.config.inventory.health_check.workers * reconcilePartitionsPerWorker);
  const hot = spans.flatMap((span) => Array.from({ length: 25 }, (_, index) => span.toProductId - 1 - index));
  const rebuilt = rebuildAndWait(t);
  let sent = 0;
  const lane = async () => {
    const answers: number[] = [];
    for (let index = sent++; index < 2000; index = sent++) {
      answers.push((await sync(t.app, { product_id: hot[index % hot.length]!, delta: -1, order_id: `race-${index}` })).status);
    }
    return answers;
  };
  const statuses = (await Promise.all(Array.from({ length: 16 }, lane))).flat();
  const report = await rebuilt;
  expect(statuses.filter((status) => status !== 200)).toEqual([]);
  expect(statuses).toHaveLength(2000);
  expect(report.scanned).toBe(products);
  // Syncs did land between a span's read and its write: the guard left their newer keys alone.
  expect(report.keys_skipped).toBeGreaterThan(0);
  const moved = await sql<{ total: number }>(t.services, 'SELECT sum(100000 - stock)::int AS total FROM inventories');
  expect(moved[0]!.total).toBe(2000);
  expect(await keysAgainstRows(t.services)).toEqual({ products, wrong: [] });
});

const seckill = privateRedisAppTest({
  redis: { mode: 'seckill' },
  // Nothing listens there: the event's outbox row is what this file checks, not its delivery.
  notifications: { webhooks: [{ url: 'http://127.0.0.1:9/hooks', secret: 'rebuild-secret', events: ['rebuild.finished'] }] },
});

seckill('in seckill mode a rebuild writes only missing keys and never touches a live counter', async ({ t }) => {
  await seedProducts(t.services, 100, { stockOf: () => 500 });
  await t.services.redis.set(t.services.keys.stock(1), '420'); // the front end is selling product 1
  for (let productId = 2; productId <= 50; productId += 1) await t.services.redis.del(t.services.keys.stock(productId));
  const report = await rebuildAndWait(t);
  expect(report).toMatchObject({ scanned: 100, keys_written: 49, keys_skipped: 51 });
  const stocks = await t.services.redis.mget(Array.from({ length: 100 }, (_, index) => t.services.keys.stock(index + 1)));
  expect(stocks).toEqual(['420', ...Array.from({ length: 99 }, () => '500')]);
  // Its end is announced through the webhook outbox, by the statement that recorded it.
  const events = await sql<{ event_type: string; product_id: number | null; webhook_url: string; data: Record<string, unknown> }>(t.services,
    'SELECT event_type, product_id, webhook_url, data FROM webhook_outbox ORDER BY id');
  expect(events).toEqual([{
    event_type: 'rebuild.finished', product_id: null, webhook_url: 'http://127.0.0.1:9/hooks',
    data: expect.objectContaining({ run_id: report.run_id, status: 'completed', trigger: 'manual', rows: 100, keys_written: 49, keys_skipped: 51, error: null }),
  }]);
});
