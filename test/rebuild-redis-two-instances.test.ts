/**
 * Proves one rebuild at a time across instances: two instances asked at once (and again while it
 * goes) answer with one run id, the database holds exactly one rebuild row, and every key of the
 * prefix emptied beforehand equals its row afterwards, whichever instance ran it.
 */
import { expect } from 'vitest';
import { appTest } from './helpers/app-test.js';
import { call } from './helpers/api.js';
import { seedProducts } from './helpers/reconcile-fixtures.js';
import { dropRedisKeys, sql } from './helpers/test-env.js';
import { pollUntil } from './helpers/wait.js';

const it = appTest();

it('runs one rebuild when two instances are asked at once', async ({ t, peer }) => {
  await seedProducts(t.services, 20_000, { stockOf: (index) => index % 900 });
  await dropRedisKeys(t.services);
  const answers = await Promise.all([t, peer, t, peer].map((app) =>
    call<{ run_id: string; joined: boolean }>(app.app, 'POST', '/api/v1/health/rebuild')));
  expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202, 202]);
  expect(new Set(answers.map((answer) => answer.body.data.run_id)).size).toBe(1);
  expect(answers.filter((answer) => !answer.body.data.joined)).toHaveLength(1);
  const runId = answers[0]!.body.data.run_id;
  const runs = await pollUntil(() => sql<{ run_id: string; status: string; keys_written: number }>(t.services,
    `SELECT run_id, status, keys_written FROM reconcile_runs WHERE kind = 'rebuild'`), (rows) => rows[0]?.status === 'completed',
  { timeoutMs: 30_000 });
  expect(runs).toEqual([{ run_id: runId, status: 'completed', keys_written: 20_000 }]);
  const rows = await sql<{ product_id: number; available: number }>(t.services, 'SELECT product_id, available FROM inventories ORDER BY product_id');
  const stocks: (string | null)[] = [];
  for (let start = 0; start < rows.length; start += 2000) {
    stocks.push(...await t.services.redis.mget(rows.slice(start, start + 2000).map((row) => t.services.keys.stock(row.product_id))));
  }
  expect(rows.filter((row, index) => stocks[index] !== String(row.available))).toEqual([]);
});
