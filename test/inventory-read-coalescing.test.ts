/**
 * Proves GET /api/v1/inventory/:productId requests arriving together share one query: 60 concurrent
 * GETs over 30 products (each asked twice) and one missing id are answered correctly — each its own
 * row, the missing one 404 — by at most two `WHERE product_id = ANY($1)` queries, counted on the
 * API pool's connections; the naive baseline keeps one query per read.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from './helpers/api.js';
import { createProduct, dropDatabase, startTestApp, testConfig, type TestApp } from './helpers/test-env.js';

let t: TestApp;
const named: string[] = [];
const query = pg.Client.prototype.query;
beforeAll(async () => {
  t = await startTestApp(testConfig());
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as { name?: string } | string;
    if (typeof config === 'object' && config.name !== undefined) named.push(config.name);
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
});
afterAll(async () => {
  pg.Client.prototype.query = query;
  await t?.close();
  if (t) await dropDatabase(t.config);
});

it('serves concurrent reads of many products with one query', async () => {
  const ids = Array.from({ length: 30 }, (_, index) => 100 + index);
  for (const productId of ids) await createProduct(t.app, { product_id: productId, stock: productId });
  named.length = 0;
  const answers = await Promise.all([...ids, ...ids, 999].map((productId) =>
    call<{ product_id: number; stock: number }>(t.app, 'GET', `/api/v1/inventory/${productId}`)));
  for (const [index, answer] of answers.slice(0, 60).entries()) {
    expect(answer.status).toBe(200);
    expect(answer.body.data).toMatchObject({ product_id: ids[index % 30], stock: ids[index % 30] });
  }
  expect(answers[60]!.body.code).toBe('INVENTORY_NOT_FOUND');
  const reads = named.filter((name) => name === 'inventory_select_coalesced').length;
  expect(reads).toBeGreaterThanOrEqual(1);
  expect(reads).toBeLessThanOrEqual(2);
});

it('keeps the naive baseline at one query per read, as a user would first write it', async () => {
  const naive = await startTestApp(testConfig({ engine: { mode: 'naive' } }));
  try {
    const ids = [201, 202, 203];
    for (const productId of ids) await createProduct(naive.app, { product_id: productId, stock: productId });
    named.length = 0;
    const answers = await Promise.all([...ids, ...ids].map((productId) =>
      call<{ stock: number }>(naive.app, 'GET', `/api/v1/inventory/${productId}`)));
    expect(answers.map((answer) => answer.body.data.stock)).toEqual([...ids, ...ids]);
    expect(named.filter((name) => name === 'inventory_select_one')).toHaveLength(6);
    expect(named).not.toContain('inventory_select_coalesced');
  } finally {
    await naive.close();
    await dropDatabase(naive.config);
  }
});
