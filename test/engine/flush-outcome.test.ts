/**
 * Proves the engine's answer after its connection dies mid-write, deterministically, with a TCP
 * proxy between the engine and PostgreSQL: (1) the write committed but its answer was lost → the
 * caller gets success with the committed log row; (2) the write never reached PostgreSQL → a
 * clean 503 DATABASE_UNAVAILABLE for an unkeyed delta (COMMIT_OUTCOME_UNKNOWN for a keyed one,
 * whose key was never looked up) and nothing applied; (3) PostgreSQL cannot be asked before the
 * deadline → COMMIT_OUTCOME_UNKNOWN. Each case fails if the resolver guesses instead of asking.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { DeltaOp } from '../../src/domain/stock-ops.js';
import { createBatchedEngine, type StockEngine } from '../../src/engine/stock-engine.js';
import { AppError } from '../../src/errors.js';
import { createPool } from '../../src/store/postgres/pool.js';
import { PgProxy } from '../helpers/pg-proxy.js';
import { createProduct, dropDatabase, sql, startTestApp, testConfig, type TestApp } from '../helpers/test-env.js';

let t: TestApp;
let proxy: PgProxy;
let engine: StockEngine;
let pool: ReturnType<typeof createPool>;

beforeAll(async () => {
  t = await startTestApp(testConfig());
  const postgres = t.config.database.postgres;
  proxy = await PgProxy.start({ host: postgres.host, port: postgres.port });
  pool = createPool({ ...postgres, host: '127.0.0.1', port: proxy.port }, { max: 1, applicationName: 'outcome-test', pipeline: true });
  engine = createBatchedEngine({
    shards: 1, flushOpsMax: 64, queueDepthMax: 64, redisWriteWaitMs: 20, outcomeResolveMs: 1500,
    pool, cacheWriter: t.services.cacheWriter, metrics: t.services.metrics, log: t.services.log,
  });
});
afterEach(() => proxy.pass());
afterAll(async () => {
  await engine?.drain();
  await pool?.end();
  await proxy?.stop();
  await t?.close();
  if (t) await dropDatabase(t.config);
});

const delta = (productId: number, orderId: string | null): DeltaOp => ({
  kind: 'delta', productId, delta: -1, opType: 'deduct', orderId, idempotencyKey: null, expectedVersion: null,
  reason: null, operator: null, traceId: null,
});

async function versionOf(productId: number): Promise<number> {
  return (await sql<{ version: number }>(t.services, 'SELECT version FROM inventories WHERE product_id = $1', [productId]))[0]!.version;
}

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A product the engine already holds in its cache, so the next flush is the write alone. */
async function warmProduct(productId: number): Promise<void> {
  await createProduct(t.app, { product_id: productId, stock: 100 });
  await engine.submit(delta(productId, null));
}

it('answers success when the write committed and only its answer was lost', async () => {
  await warmProduct(1);
  const before = await versionOf(1);
  proxy.holdAnswers = true;
  const answer = engine.submit(delta(1, 'landed-order'));
  await until(async () => (await versionOf(1)) === before + 1, 'the write to commit');
  proxy.pass();
  proxy.cutAll();
  const result = await answer;
  const [log] = await sql(t.services, `SELECT id, order_id FROM inventory_logs WHERE product_id = 1 AND order_id = 'landed-order'`);
  expect(result).toMatchObject({ replayed: false, stock: 98, version: before + 1, logId: log!.id, beforeStock: 99, afterStock: 98 });
  expect(await versionOf(1)).toBe(before + 1);
});

it.each([
  [2, null, 'DATABASE_UNAVAILABLE'],
  [4, 'never-sent', 'COMMIT_OUTCOME_UNKNOWN'],
] as const)('product %i, order %s: answers %s when the write never arrived, and applies nothing', async (productId, orderId, code) => {
  await warmProduct(productId);
  const before = await versionOf(productId);
  proxy.dropRequests = true;
  proxy.droppedBytes = 0;
  const answer = engine.submit(delta(productId, orderId)).catch((error: unknown) => error);
  await until(() => proxy.droppedBytes > 0, 'the write to be sent');
  proxy.pass();
  proxy.cutAll();
  const error = await answer;
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  expect(await versionOf(productId)).toBe(before);
  const [logs] = await sql(t.services, 'SELECT count(*)::int AS n FROM inventory_logs WHERE product_id = $1', [productId]);
  expect(logs!.n).toBe(2); // init and the warm-up delta only
  // The next write reloads the product under its row lock and applies normally.
  await engine.submit(delta(productId, orderId));
  expect(await versionOf(productId)).toBe(before + 1);
});

it('answers COMMIT_OUTCOME_UNKNOWN when PostgreSQL cannot be asked before the deadline', async () => {
  await warmProduct(3);
  const before = await versionOf(3);
  proxy.holdAnswers = true;
  const answer = engine.submit(delta(3, 'unknown-order')).catch((error: unknown) => error);
  await until(async () => (await versionOf(3)) === before + 1, 'the write to commit');
  proxy.refuse = true;
  proxy.cutAll();
  const error = await answer;
  expect((error as AppError).code).toBe('COMMIT_OUTCOME_UNKNOWN');
  proxy.pass();
  // It did commit: a retry with the same key replays it instead of applying it again.
  const retry = await engine.submit(delta(3, 'unknown-order'));
  expect(retry).toMatchObject({ replayed: true, version: before + 1 });
  expect(await versionOf(3)).toBe(before + 1);
});
