// Proves a batch sync answers each item exactly as a sequential in-memory model of the same items
// would (success or refusal code, before/after stock, replays), in request order: two seeded
// random batches of 1,000 items over 50 products with locked, inactive, missing and capped
// products, reused keys and stale versions; and that malformed batches are refused whole.
import { describe, expect } from 'vitest';
import { appTest } from './helpers/app-test.js';
import { createProduct, sql } from './helpers/test-env.js';
import { call } from './helpers/api.js';
import { seededRandom } from './helpers/seeded-random.js';

const seed = Number(process.env.TEST_SEED ?? Date.now() % 2 ** 31);
const it = appTest();

interface ModelProduct { stock: number; status: 'active' | 'inactive' | 'locked'; maxStock: number }
interface Stored { delta: number; opType: string; before: number; after: number }
interface Item { product_id: number; delta: number; order_id?: string; idempotency_key?: string; expected_version?: number }
interface Expected { success: boolean; code?: string; before?: number; after?: number; replayed?: boolean }

const productCount = 50;
const products = new Map<number, ModelProduct>();
const storedKeys = new Map<string, Stored>();

it.beforeAll(async ({ t }) => {
  const random = seededRandom(seed);
  for (let productId = 1; productId <= productCount; productId += 1) {
    const status = productId <= 3 ? 'locked' : productId <= 5 ? 'inactive' : 'active';
    const maxStock = productId % 7 === 0 ? 80 : 0;
    const stock = Math.floor(random() * 60);
    products.set(productId, { stock, status, maxStock });
    await createProduct(t.app, { product_id: productId, stock, status, max_stock: maxStock });
  }
});

function randomItems(random: () => number, count: number): Item[] {
  return Array.from({ length: count }, () => {
    // Two ids beyond the products exist: INVENTORY_NOT_FOUND.
    const item: Item = { product_id: 1 + Math.floor(random() * (productCount + 2)), delta: 0 };
    while (item.delta === 0) item.delta = Math.floor(random() * 61) - 30;
    const roll = random();
    if (roll < 0.25) item.order_id = `order-${Math.floor(random() * 40)}`;
    else if (roll < 0.35) item.idempotency_key = `key-${Math.floor(random() * 20)}`;
    else if (roll < 0.38) item.expected_version = 1_000_000;
    return item;
  });
}

/** The contract, one item at a time, in the order the engine's plan judges it. */
function modelApply(item: Item): Expected {
  const product = products.get(item.product_id);
  if (product === undefined) return { success: false, code: 'INVENTORY_NOT_FOUND' };
  const opType = item.delta < 0 ? 'deduct' : 'add';
  const key = item.order_id !== undefined ? `o:${opType}:${item.order_id}` : item.idempotency_key !== undefined ? `k:${item.idempotency_key}` : null;
  const storeKey = key === null ? null : `${item.product_id}|${key}`;
  const stored = storeKey === null ? undefined : storedKeys.get(storeKey);
  if (stored !== undefined) {
    return stored.delta === item.delta && stored.opType === opType
      ? { success: true, before: stored.before, after: stored.after, replayed: true }
      : { success: false, code: 'IDEMPOTENCY_CONFLICT' };
  }
  if (product.status === 'locked') return { success: false, code: 'INVENTORY_LOCKED' };
  if (product.status === 'inactive') return { success: false, code: 'INVENTORY_INACTIVE' };
  if (item.expected_version !== undefined) return { success: false, code: 'VERSION_CONFLICT' };
  if (item.delta < 0 && product.stock + item.delta < 0) return { success: false, code: 'INSUFFICIENT_STOCK' };
  if (item.delta > 0 && product.maxStock > 0 && product.stock + item.delta > product.maxStock) {
    return { success: false, code: 'MAX_STOCK_EXCEEDED' };
  }
  const before = product.stock;
  product.stock += item.delta;
  if (storeKey !== null) storedKeys.set(storeKey, { delta: item.delta, opType, before, after: product.stock });
  return { success: true, before, after: product.stock, replayed: false };
}

type ItemAnswer = { success: boolean; code?: string; data: { before_stock: number; after_stock: number; replayed: boolean; product_id: number } | null };

function observed(answer: ItemAnswer): Expected {
  return answer.success
    ? { success: true, before: answer.data!.before_stock, after: answer.data!.after_stock, replayed: answer.data!.replayed }
    : { success: false, code: answer.code! };
}

describe(`sync batch (seed ${seed}; rerun with TEST_SEED=${seed})`, () => {
  const random = seededRandom(seed);

  for (const round of [1, 2]) {
    it(`batch ${round}: 1,000 items answered exactly as the sequential model, in request order`, async ({ t }) => {
      const items = randomItems(random, 1000);
      const answer = await call<{ applied: number; refused: number; results: ItemAnswer[] }>(
        t.app, 'POST', '/api/v1/sync-stock/batch', { items });
      expect(answer.status, `seed ${seed}`).toBe(200);
      const expected = items.map(modelApply);
      const results = answer.body.data.results;
      expect(results, `seed ${seed}`).toHaveLength(1000);
      for (const [index, result] of results.entries()) {
        expect(observed(result), `seed ${seed}, item ${index}: ${JSON.stringify(items[index])}`).toEqual(expected[index]);
        if (result.success) expect(result.data!.product_id).toBe(items[index]!.product_id);
      }
      expect(answer.body.data.applied).toBe(expected.filter((e) => e.success).length);
      const codes = new Set(expected.map((e) => e.code ?? 'OK'));
      for (const code of ['OK', 'INVENTORY_NOT_FOUND', 'INVENTORY_LOCKED', 'INSUFFICIENT_STOCK', 'VERSION_CONFLICT']) {
        expect(codes.has(code), `seed ${seed}: the batch should exercise ${code}`).toBe(true);
      }
      // The model's products only: the replay test below adds one of its own.
      const rows = await sql<{ product_id: number; stock: number }>(t.services, 'SELECT product_id, stock FROM inventories WHERE product_id <= $1 ORDER BY product_id', [productCount]);
      expect(new Map(rows.map((row) => [row.product_id, row.stock])), `seed ${seed}`)
        .toEqual(new Map([...products].map(([id, product]) => [id, product.stock])));

      // One log row per applied item, replays excluded; one key record per keyed applied item.
      const [logs] = await sql<{ n: number }>(t.services, "SELECT count(*)::bigint AS n FROM inventory_logs WHERE op_type IN ('add', 'deduct') AND product_id <= $1", [productCount]);
      const [keys] = await sql<{ n: number }>(t.services, 'SELECT count(*)::bigint AS n FROM inventory_idempotency WHERE product_id <= $1', [productCount]);
      expect(keys!.n).toBe(storedKeys.size);
      const [sums] = await sql<{ delta: number; stock: number }>(t.services,
        `SELECT (SELECT sum(delta) FROM inventory_logs WHERE product_id <= $1)::bigint AS delta,
                (SELECT sum(stock) FROM inventories WHERE product_id <= $1)::bigint AS stock`, [productCount]);
      expect(sums!.delta).toBe(sums!.stock);
      expect(logs!.n).toBeGreaterThan(0);
    });
  }

  it('refuses malformed batches whole, naming the field, and changes nothing', async ({ t }) => {
    const before = await sql(t.services, 'SELECT product_id, stock, version FROM inventories ORDER BY product_id');
    const item = { product_id: 10, delta: 1 };
    const cases: [unknown, RegExp][] = [
      [{ items: [] }, /body.items must have at least 1 item/],
      [{ items: Array(1001).fill(item) }, /body.items must have at most 1000 items/],
      [{ items: [item, { product_id: 10, delta: 0 }] }, /body.items.1.delta must not be 0/],
      [{ items: [item, { product_id: -1, delta: 1 }] }, /body.items.1.product_id must be at least 1/],
      [{ items: [item, { product_id: 10, delta: t.config.inventory.max_delta + 1 }] }, /body.items.1.delta must be at most/],
      [{ items: item }, /body.items must be an array/],
      [{ items: [item], extra: 1 }, /body.extra is not a known field/],
      [{}, /body.items is required/],
    ];
    for (const [payload, message] of cases) {
      const answer = await call(t.app, 'POST', '/api/v1/sync-stock/batch', payload);
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('VALIDATION_ERROR');
      expect(answer.body.message).toMatch(message);
    }
    expect(await sql(t.services, 'SELECT product_id, stock, version FROM inventories ORDER BY product_id')).toEqual(before);
  });
});

describe('replays on a cached product', () => {
  it('a retried order deduction replays its first result after stock ran out, and a changed one conflicts', async ({ t }) => {
    await createProduct(t.app, { product_id: 100, stock: 5 });
    const first = await call(t.app, 'POST', '/api/v1/sync-stock', { product_id: 100, delta: -5, order_id: 'sold-out' });
    expect(first.body.data).toMatchObject({ before_stock: 5, after_stock: 0, replayed: false });
    // The actor now trusts its cached state (stock 0): the retry must still find the stored result.
    const retry = await call(t.app, 'POST', '/api/v1/sync-stock', { product_id: 100, delta: -5, order_id: 'sold-out' });
    expect(retry.status).toBe(200);
    expect(retry.body.data).toMatchObject({ before_stock: 5, after_stock: 0, replayed: true });
    const changed = await call(t.app, 'POST', '/api/v1/sync-stock', { product_id: 100, delta: -4, order_id: 'sold-out' });
    expect(changed.status).toBe(409);
    expect(changed.body.code).toBe('IDEMPOTENCY_CONFLICT');
  });
});
