/**
 * Proves an order operation is answered truthfully when its connection dies at COMMIT,
 * deterministically, with a TCP proxy between the order transactions and PostgreSQL: (1) the
 * COMMIT landed and only its answer was lost → the hold (or the confirm) is answered as done,
 * and Redis gets the committed values;
 * (2) the COMMIT never reached PostgreSQL → 503 DATABASE_UNAVAILABLE and nothing applied;
 * (3) PostgreSQL cannot be asked before the deadline → COMMIT_OUTCOME_UNKNOWN, and a retry
 * with the same order id then replays. Each case fails if the resolver guesses instead of asking.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { noStockEvents } from '../src/domain/events.js';
import { AppError } from '../src/errors.js';
import { OrderHolds } from '../src/orders/order-holds.js';
import { createPool } from '../src/store/postgres/pool.js';
import { PgProxy } from './helpers/pg-proxy.js';
import { pollUntil } from './helpers/wait.js';
import { createProduct, dropDatabase, sql, startTestApp, testConfig, type TestApp } from './helpers/test-env.js';

let t: TestApp;
let proxy: PgProxy;
let pool: pg.Pool;
let orders: OrderHolds;
/** What the proxy does when the next COMMIT is issued; the statements before it pass. */
let atCommit: (() => void) | null = null;

beforeAll(async () => {
  t = await startTestApp(testConfig({ reservations: { sweep_interval_ms: 3_600_000 } }));
  const postgres = t.config.database.postgres;
  proxy = await PgProxy.start({ host: postgres.host, port: postgres.port });
  pool = createPool({ ...postgres, host: '127.0.0.1', port: proxy.port }, { max: 2, applicationName: 'order-outcome-test', pipeline: false });
  // Steer the proxy exactly when COMMIT is sent: the transaction's other statements pass untouched.
  pool.on('acquire', (client) => {
    const marked = client as pg.PoolClient & { commitSteered?: boolean };
    if (marked.commitSteered) return;
    marked.commitSteered = true;
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      if (args[0] === 'COMMIT' && atCommit !== null) {
        const steer = atCommit;
        atCommit = null;
        steer();
      }
      return query(...args);
    };
  });
  orders = new OrderHolds({
    pool, cacheWriter: t.services.cacheWriter, redisWriteWaitMs: 20, outcomeResolveMs: 1500, stockEvents: noStockEvents,
    metrics: t.services.metrics, log: t.services.log,
  });
  for (const id of [1, 2, 3, 4, 5, 6]) await createProduct(t.app, { product_id: id, stock: 10 });
});
afterEach(() => { atCommit = null; proxy.pass(); });
afterAll(async () => {
  await pool?.end();
  await proxy?.stop();
  await t?.close();
  if (t) await dropDatabase(t.config);
});

const audit = { reason: null, operator: null, traceId: null };
const holdOf = (orderId: string, productIds: number[]) =>
  orders.hold({ orderId, lines: productIds.map((productId) => ({ productId, quantity: 2 })), ttlSeconds: 600, audit });

async function reservedOf(productIds: number[]): Promise<number[]> {
  const rows = await sql<{ reserved: number }>(t.services, 'SELECT reserved FROM inventories WHERE product_id = ANY($1) ORDER BY product_id', [productIds]);
  return rows.map((row) => row.reserved);
}

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const orderStatus = async (orderId: string) =>
  (await sql<{ status: string }>(t.services, 'SELECT status FROM order_holds WHERE order_id = $1', [orderId]))[0]?.status ?? null;

it('answers the hold, then the confirm, when each COMMIT landed and only its answer was lost', async () => {
  atCommit = () => { proxy.holdAnswers = true; };
  const answer = holdOf('landed', [1, 2]);
  await until(async () => (await orderStatus('landed')) === 'held', 'the hold to commit');
  proxy.pass();
  proxy.cutAll();
  const held = await answer;
  expect(held.hold).toMatchObject({ orderId: 'landed', status: 'held' });
  expect(held.hold.lines.map((line) => [line.productId, line.quantity, line.status])).toEqual([[1, 2, 'pending'], [2, 2, 'pending']]);
  expect(await reservedOf([1, 2])).toEqual([2, 2]);
  // Redis gets the landed values too, not only after the health checker's next run.
  const redisOf = () => Promise.all([1, 2].map(async (id) => t.services.redis.get(t.services.keys.stock(id))));
  expect(await pollUntil(redisOf, (values) => values.every((value) => value === '8'))).toEqual(['8', '8']);

  atCommit = () => { proxy.holdAnswers = true; };
  const confirm = orders.finish('landed', 'confirm', audit);
  await until(async () => (await orderStatus('landed')) === 'confirmed', 'the confirm to commit');
  proxy.pass();
  proxy.cutAll();
  expect((await confirm).hold).toMatchObject({ status: 'confirmed' });
  expect(await sql(t.services, 'SELECT stock, reserved FROM inventories WHERE product_id IN (1, 2) ORDER BY product_id'))
    .toEqual([{ stock: 8, reserved: 0 }, { stock: 8, reserved: 0 }]);
});

it('answers DATABASE_UNAVAILABLE when the COMMIT never arrived, and applies nothing', async () => {
  atCommit = () => { proxy.dropRequests = true; proxy.droppedBytes = 0; };
  const answer = holdOf('never-sent', [3, 4]).catch((error: unknown) => error);
  await until(() => proxy.dropRequests && proxy.droppedBytes > 0, 'the COMMIT to be sent');
  proxy.pass();
  proxy.cutAll();
  const error = await answer;
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe('DATABASE_UNAVAILABLE');
  expect(await orderStatus('never-sent')).toBeNull();
  expect(await reservedOf([3, 4])).toEqual([0, 0]);
  expect(await sql(t.services, "SELECT count(*)::int AS n FROM inventory_logs WHERE order_id = 'never-sent'")).toEqual([{ n: 0 }]);
  // A retry holds normally.
  expect((await holdOf('never-sent', [3, 4])).replayed).toBe(false);
  expect(await reservedOf([3, 4])).toEqual([2, 2]);
});

it('answers COMMIT_OUTCOME_UNKNOWN when PostgreSQL cannot be asked in time; the retry replays', async () => {
  atCommit = () => { proxy.holdAnswers = true; };
  const answer = holdOf('unknown', [5, 6]).catch((error: unknown) => error);
  await until(async () => (await orderStatus('unknown')) === 'held', 'the hold to commit');
  proxy.refuse = true;
  proxy.cutAll();
  const error = await answer;
  expect((error as AppError).code).toBe('COMMIT_OUTCOME_UNKNOWN');
  proxy.pass();
  const retry = await holdOf('unknown', [5, 6]);
  expect(retry.replayed).toBe(true);
  expect(await reservedOf([5, 6])).toEqual([2, 2]);
});
