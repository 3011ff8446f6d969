/**
 * Proves the diff list and the bulk fix: GET /health/diffs pages newest first by keyset with no
 * duplicate and no gap (while new diffs are recorded between pages), filters by status, run and
 * product, and refuses loose integers; POST /health/fix answers one result per id, in order, each
 * with the single fix's code (a missing id, a fixed one, one over max_fix_amount, a malformed
 * request), applies the valid ones (exact Redis values) and leaves the refused ones unchanged.
 */
import { expect } from 'vitest';
import { appTest } from './helpers/app-test.js';
import { call, walkPages } from './helpers/api.js';
import { checkNow, redisStock, seedProducts, setRedisStock } from './helpers/reconcile-fixtures.js';
import { sql } from './helpers/test-env.js';

interface Diff { id: number; product_id: number; run_id: string; diff: number; status: string; fix_type: string | null }
interface BulkAnswer {
  applied: number; refused: number;
  results: { diff_id: number; success: boolean; code: string | null; message: string; diff: Diff | null }[];
}

const it = appTest({ inventory: { compensation: { enable: true, auto_fix: false, max_fix_amount: 1000 } } });

it.beforeAll(async ({ t }) => {
  await seedProducts(t.services, 60, { stockOf: () => 500 });
});

it('pages every diff newest first, without duplicates or gaps, while new diffs are recorded', async ({ t }) => {
  for (let productId = 1; productId <= 30; productId += 1) await setRedisStock(t.services, productId, 500 + productId + 10);
  const report = await checkNow(t.app);
  expect(report.diffs_found).toBe(30);
  const recorded = (await sql<{ id: number }>(t.services, 'SELECT id FROM inventory_diffs ORDER BY id DESC')).map((row) => row.id);
  let inserted = 0;
  const walked = await walkPages<Diff>(t.app, '/api/v1/health/diffs', 7, (diff) => diff.id, async () => {
    // A diff recorded meanwhile has a higher id: it belongs before the pages already read.
    inserted += 1;
    await sql(t.services, `INSERT INTO inventory_diffs (product_id, run_id, db_stock, redis_stock, diff, status)
                           VALUES ($1, 'later', 500, 0, -500, 'ignored')`, [1000 + inserted]);
  });
  expect(inserted).toBe(4);
  expect(walked.map((diff) => diff.id)).toEqual(recorded);
  expect(walked.every((diff) => diff.run_id === report.run_id && diff.status === 'pending')).toBe(true);

  const byRun = await walkPages<Diff>(t.app, `/api/v1/health/diffs?run_id=${report.run_id}&status=pending`, 500, (diff) => diff.id);
  expect(byRun.map((diff) => diff.id)).toEqual(recorded);
  const one = await call<{ items: Diff[]; next_cursor: string | null }>(t.app, 'GET', '/api/v1/health/diffs?product_id=5');
  expect(one.body.data).toMatchObject({ items: [{ product_id: 5, diff: 15, status: 'pending' }], next_cursor: null });
  const ignored = await call<{ items: Diff[] }>(t.app, 'GET', '/api/v1/health/diffs?status=ignored');
  expect(ignored.body.data.items.map((diff) => diff.product_id)).toEqual([1004, 1003, 1002, 1001]);
});

it('refuses loose or unknown filters', async ({ t }) => {
  for (const query of ['product_id=05', 'product_id=1.0', 'product_id=-1', 'product_id=0', 'limit=0', 'limit=501', 'cursor=abc',
    'run_id=not-a-run', 'status=open', 'colour=red']) {
    const answer = await t.app.inject({ method: 'GET', url: `/api/v1/health/diffs?${query}` });
    expect([query, answer.statusCode, answer.json().code]).toEqual([query, 400, 'VALIDATION_ERROR']);
  }
});

it('fixes many diffs with one result per id, each as the single fix would answer it', async ({ t }) => {
  await setRedisStock(t.services, 40, 5000); // +4500: over max_fix_amount
  await checkNow(t.app);
  const pendingOf = async (productId: number) =>
    (await sql<{ id: number }>(t.services, `SELECT id FROM inventory_diffs WHERE product_id = $1 AND status = 'pending'`, [productId]))[0]!.id;
  const [d1, d2, d3, big] = [await pendingOf(1), await pendingOf(2), await pendingOf(3), await pendingOf(40)];
  expect((await call(t.app, 'POST', `/api/v1/health/fix/${d3}`, { fix_type: 'ignore' })).status).toBe(200);

  const answer = await call<BulkAnswer>(t.app, 'POST', '/api/v1/health/fix', { diff_ids: [d1, 987_654, d2, big, d3], fix_type: 'use_db', operator: 'ops' });
  expect(answer.status).toBe(200);
  expect(answer.body.data.results.map((result) => [result.diff_id, result.success, result.code])).toEqual([
    [d1, true, null], [987_654, false, 'DIFF_NOT_FOUND'], [d2, true, null], [big, false, 'FIX_AMOUNT_EXCEEDED'], [d3, false, 'DIFF_NOT_PENDING'],
  ]);
  expect(answer.body.data).toMatchObject({ applied: 2, refused: 3 });
  expect(answer.body.data.results[0]!.diff).toMatchObject({ id: d1, status: 'fixed', fix_type: 'use_db' });
  expect([await redisStock(t.services, 1), await redisStock(t.services, 2), await redisStock(t.services, 3), await redisStock(t.services, 40)])
    .toEqual([500, 500, 513, 5000]);
  const states = await sql<{ id: number; status: string; fixed_by: string | null }>(t.services,
    'SELECT id, status, fixed_by FROM inventory_diffs WHERE id = ANY($1::bigint[]) ORDER BY id', [[d1, d2, d3, big]]);
  expect(states).toEqual([
    { id: d1, status: 'fixed', fixed_by: 'ops' }, { id: d2, status: 'fixed', fixed_by: 'ops' },
    { id: d3, status: 'ignored', fixed_by: 'api' }, { id: big, status: 'pending', fixed_by: null },
  ].sort((x, y) => x.id - y.id));
});

it('ignores every remaining pending diff in one request', async ({ t }) => {
  const pending = (await sql<{ id: number }>(t.services, `SELECT id FROM inventory_diffs WHERE status = 'pending' ORDER BY id`)).map((row) => row.id);
  expect(pending.length).toBe(28);
  const answer = await call<BulkAnswer>(t.app, 'POST', '/api/v1/health/fix', { diff_ids: pending, fix_type: 'ignore' });
  expect(answer.body.data).toMatchObject({ applied: 28, refused: 0 });
  expect(await sql(t.services, `SELECT id FROM inventory_diffs WHERE status = 'pending'`)).toEqual([]);
});

it('refuses a malformed bulk request as a whole and changes nothing', async ({ t }) => {
  const tooMany = Array.from({ length: 1001 }, (_, index) => index + 1);
  for (const body of [{ diff_ids: [], fix_type: 'ignore' }, { diff_ids: tooMany, fix_type: 'ignore' }, { diff_ids: [1, 1], fix_type: 'ignore' },
    { diff_ids: [0], fix_type: 'ignore' }, { diff_ids: ['1'], fix_type: 'ignore' }, { diff_ids: [1], fix_type: 'use_cache' }, { diff_ids: [1] }]) {
    const answer = await call(t.app, 'POST', '/api/v1/health/fix', body);
    expect(answer.status).toBe(400);
  }
  const atMost = await call<BulkAnswer>(t.app, 'POST', '/api/v1/health/fix', { diff_ids: tooMany.slice(0, 1000).map((id) => id + 5_000_000), fix_type: 'ignore' });
  expect(atMost.body.data).toMatchObject({ applied: 0, refused: 1000 });
  expect(atMost.body.data.results.every((result) => result.code === 'DIFF_NOT_FOUND')).toBe(true);
});
