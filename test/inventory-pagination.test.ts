// Proves keyset pagination of GET /api/v1/inventory: 2,500 rows walked in pages of 100 give every
// product exactly once in product_id order, also while syncs and operator updates change rows
// during the walk; filters (status, low_stock, out_of_stock) match an independent computation;
// batch get lists found rows and missing ids; bad queries and batches are 400s.
import { describe, expect } from 'vitest';
import { appTest } from './helpers/app-test.js';
import { sql, type TestApp } from './helpers/test-env.js';
import { call, walkPages } from './helpers/api.js';
import { seededRandom } from './helpers/seeded-random.js';

const seed = Number(process.env.TEST_SEED ?? Date.now() % 2 ** 31);
const rowCount = 2500;
const it = appTest();

interface Row { product_id: number; status: string; stock: number; available: number; min_stock: number; version: number }
type Page = { items: Row[]; next_cursor: string | null };

const productIdOf = (index: number) => 1000 + index * 3;

it.beforeAll(async ({ t }) => {
  await sql(t.services, `
    INSERT INTO inventories (product_id, product_name, stock, status, min_stock)
    SELECT 1000 + i * 3, 'product ' || i, i % 250,
           CASE i % 10 WHEN 0 THEN 'locked' WHEN 1 THEN 'inactive' ELSE 'active' END,
           CASE WHEN i % 4 = 0 THEN 50 ELSE 0 END
      FROM generate_series(0, $1::int - 1) AS i`, [rowCount]);
});

/** The product ids of the list with `query` (e.g. `status=locked`), walked page by page. */
async function walk(t: TestApp, query: string, limit: number, betweenPages?: (cursor: number) => Promise<void>): Promise<number[]> {
  const url = query === '' ? '/api/v1/inventory' : `/api/v1/inventory?${query.replace(/^&/, '')}`;
  const rows = await walkPages<Row>(t.app, url, limit, (row) => row.product_id, betweenPages);
  return rows.map((row) => row.product_id);
}

function expectAscendingUnique(ids: number[]): void {
  for (let i = 1; i < ids.length; i += 1) expect(ids[i]!).toBeGreaterThan(ids[i - 1]!);
}

const allIds = Array.from({ length: rowCount }, (_, index) => productIdOf(index));

describe('inventory list', () => {
  it('walks 2,500 rows in pages of 100 with no duplicate and no gap', async ({ t }) => {
    // Every row there is: the 2,500 seeded, and any the concurrent walk below created if it ran first.
    const rows = (await sql<Row>(t.services, 'SELECT product_id FROM inventories ORDER BY product_id')).map((row) => row.product_id);
    expect(rows).toEqual(expect.arrayContaining(allIds));
    const ids = await walk(t, '', 100);
    expect(ids).toEqual(rows);
  });

  it(`walks them again while rows are updated concurrently (seed ${seed})`, async ({ t }) => {
    const random = seededRandom(seed);
    let walking = true;
    let changes = 0;
    const activeIndexes = allIds.map((_, index) => index).filter((index) => index % 10 >= 2);
    const churn = async () => {
      for (let round = 0; walking && round < 400; round += 1) {
        const productId = productIdOf(activeIndexes[Math.floor(random() * activeIndexes.length)]!);
        const row = (await call<Row>(t.app, 'GET', `/api/v1/inventory/${productId}`)).body.data;
        const answer = round % 3 === 0
          ? await call(t.app, 'PUT', `/api/v1/inventory/${productId}`, { version: row.version, product_name: `renamed ${round}`, stock: row.stock + 1 })
          : await call(t.app, 'POST', '/api/v1/sync-stock', { product_id: productId, delta: 1 });
        if (answer.status === 200) changes += 1;
      }
    };
    // Besides the background churn, between every two pages the rows on both sides of the cursor
    // change, and a product is created on each side (ids between the existing ones): the one
    // behind the cursor must not appear, the one ahead must appear once.
    const createdAhead: number[] = [];
    const changeAround = async (cursor: number) => {
      for (const productId of [cursor - 3, cursor, cursor + 3]) {
        const answer = await call(t.app, 'POST', '/api/v1/sync-stock', { product_id: productId, delta: 1, reason: 'walk' });
        if (answer.status === 200) changes += 1;
      }
      for (const productId of [cursor - 1, cursor + 1]) {
        expect((await call(t.app, 'POST', '/api/v1/inventory', { product_id: productId, stock: 1 })).status).toBe(201);
      }
      createdAhead.push(cursor + 1);
    };
    const churners = [churn(), churn(), churn()];
    const before = (await sql<Row>(t.services, 'SELECT product_id FROM inventories ORDER BY product_id')).map((row) => row.product_id);
    const ids = await walk(t, '', 100, changeAround);
    walking = false;
    await Promise.all(churners);
    expect(changes, `seed ${seed}`).toBeGreaterThan(24);
    expect(ids, `seed ${seed}`).toEqual([...before, ...createdAhead].sort((x, y) => x - y));
  });

  it('filters by status, low_stock and out_of_stock exactly as computed from the rows', async ({ t }) => {
    const rows = await sql<Row>(t.services, 'SELECT product_id, status, stock, available, min_stock FROM inventories ORDER BY product_id');
    const threshold = t.config.inventory.low_stock_threshold;
    const isLow = (row: Row) => row.available <= (row.min_stock > 0 ? row.min_stock : threshold);
    const expectIds = async (query: string, keep: (row: Row) => boolean) => {
      const ids = await walk(t, query, 100);
      expectAscendingUnique(ids);
      const expected = rows.filter(keep).map((row) => row.product_id);
      expect(expected.length, query).toBeGreaterThan(0);
      expect(ids, query).toEqual(expected);
    };
    await expectIds('&status=locked', (row) => row.status === 'locked');
    await expectIds('&status=inactive', (row) => row.status === 'inactive');
    await expectIds('&low_stock=true', isLow);
    await expectIds('&out_of_stock=true', (row) => row.available === 0);
    await expectIds('&status=active&low_stock=true', (row) => row.status === 'active' && isLow(row));
    await expectIds('&low_stock=false', () => true);
    const lastPage = await call<Page>(t.app, 'GET', `/api/v1/inventory?cursor=${allIds[rowCount - 1]}`);
    expect(lastPage.body.data).toEqual({ items: [], next_cursor: null });
  });

  it('refuses bad queries with 400 VALIDATION_ERROR naming the parameter', async ({ t }) => {
    const cases: [string, RegExp][] = [
      ['status=deleted', /querystring.status must be one of: active, inactive, locked/],
      ['limit=0', /querystring.limit must be at least 1/],
      ['limit=501', /querystring.limit must be at most 500/],
      ['limit=ten', /querystring.limit must be a whole number written as plain digits/],
      ['limit=0x5', /querystring.limit must be a whole number written as plain digits/],
      ['cursor=abc', /querystring.cursor/],
      ['cursor=0', /querystring.cursor/],
      ['cursor=99999999999999999', /querystring.cursor/],
      ['low_stock=maybe', /querystring.low_stock must be a boolean/],
      ['colour=red', /querystring.colour is not a known field/],
    ];
    for (const [query, message] of cases) {
      const answer = await call(t.app, 'GET', `/api/v1/inventory?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.code).toBe('VALIDATION_ERROR');
      expect(answer.body.message, query).toMatch(message);
    }
  });
});

describe('inventory batch get', () => {
  it('returns found rows in request order and lists missing ids, at exactly 1,000 ids', async ({ t }) => {
    const wanted = [...allIds.slice(0, 990).reverse(), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const answer = await call<{ items: Row[]; missing: number[] }>(t.app, 'POST', '/api/v1/inventory/batch', { product_ids: wanted });
    expect(answer.status).toBe(200);
    expect(answer.body.data.items.map((row) => row.product_id)).toEqual(allIds.slice(0, 990).reverse());
    expect(answer.body.data.missing).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const duplicates = await call<{ items: Row[]; missing: number[] }>(t.app, 'POST', '/api/v1/inventory/batch', { product_ids: [1000, 1000, 5] });
    expect(duplicates.body.data.items.map((row) => row.product_id)).toEqual([1000]);
    expect(duplicates.body.data.missing).toEqual([5]);
  });

  it('refuses empty, oversized and out-of-range batches', async ({ t }) => {
    const cases: [unknown, RegExp][] = [
      [{ product_ids: [] }, /body.product_ids must have at least 1 item/],
      [{ product_ids: Array.from({ length: 1001 }, (_, i) => i + 1) }, /body.product_ids must have at most 1000 items/],
      [{ product_ids: [1, 0] }, /body.product_ids.1 must be at least 1/],
      [{ product_ids: [2 ** 53] }, /body.product_ids.0 must be at most/],
      [{ product_ids: ['1'] }, /body.product_ids.0 must be an integer/],
      [{}, /body.product_ids is required/],
    ];
    for (const [payload, message] of cases) {
      const answer = await call(t.app, 'POST', '/api/v1/inventory/batch', payload);
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('VALIDATION_ERROR');
      expect(answer.body.message).toMatch(message);
    }
  });
});
