/**
 * Proves that use_db restores a missing key whatever its size (the value comes from the database)
 * while max_fix_amount still bounds use_redis and seckill INCRBY corrections, and that every fix
 * attempt (manual and auto_fix) is counted by outcome in inventory_diff_fix_attempts_total (every
 * series present at 0 from the start) with each failure logged at ERROR. Exact Redis values,
 * exact counts and exact log lines.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { expect } from 'vitest';
import { appTest } from './helpers/app-test.js';
import { checkNow, fix, redisStock, seedProducts, setRedisStock, type Report } from './helpers/reconcile-fixtures.js';
import type { TestApp } from './helpers/test-env.js';

/** A logger whose JSON lines (warn and above) the test can read. */
function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'warn' }, stream), lines };
}

async function attempts(t: TestApp): Promise<Record<string, number>> {
  const metric = await t.services.metrics.registry.getSingleMetric('inventory_diff_fix_attempts_total')!.get();
  return Object.fromEntries(metric.values.map((sample) => [`${sample.labels.source}:${sample.labels.outcome}`, sample.value]));
}

const zero = {
  'auto:applied': 0, 'auto:stale': 0, 'auto:exceeded': 0, 'auto:failed': 0,
  'manual:applied': 0, 'manual:stale': 0, 'manual:exceeded': 0, 'manual:failed': 0,
};
const diffOf = (report: Report, productId: number) => report.diffs.find((diff) => diff.product_id === productId)!;

const manual = capturedLog();
const cache = appTest({ inventory: { compensation: { enable: true, auto_fix: false, max_fix_amount: 100 } } }, { log: manual.log });

cache('cache mode: use_db restores a missing key of any size; corrections stay bounded; attempts counted', async ({ t }) => {
  expect(await attempts(t)).toEqual(zero);
  await seedProducts(t.services, 10, { stockOf: () => 500 });
  await setRedisStock(t.services, 1, null); // diff -500: a restore
  await setRedisStock(t.services, 2, 900); // diff +400: a correction over the bound
  await setRedisStock(t.services, 3, 530);
  const report = await checkNow(t.app);
  expect(report.diffs.map((diff) => [diff.product_id, diff.diff]).sort((x, y) => x[0]! - y[0]!)).toEqual([[1, -500], [2, 400], [3, 30]]);

  expect(await fix(t.app, diffOf(report, 1).id, { fix_type: 'use_db' })).toMatchObject({ status: 200, body: { data: { status: 'fixed' } } });
  expect(await redisStock(t.services, 1)).toBe(500);
  expect(await fix(t.app, diffOf(report, 2).id, { fix_type: 'use_db' })).toMatchObject({ status: 409, body: { code: 'FIX_AMOUNT_EXCEEDED' } });
  expect(await fix(t.app, diffOf(report, 2).id, { fix_type: 'use_redis' })).toMatchObject({ status: 409, body: { code: 'FIX_AMOUNT_EXCEEDED' } });
  expect(await redisStock(t.services, 2)).toBe(900);
  expect((await fix(t.app, diffOf(report, 3).id, { fix_type: 'use_db' })).status).toBe(200);
  expect(await fix(t.app, diffOf(report, 3).id, { fix_type: 'use_db' })).toMatchObject({ status: 409, body: { code: 'DIFF_NOT_PENDING' } });
  expect(await fix(t.app, 987_654, { fix_type: 'use_db' })).toMatchObject({ status: 404, body: { code: 'DIFF_NOT_FOUND' } });

  expect(await attempts(t)).toEqual({ ...zero, 'manual:applied': 2, 'manual:exceeded': 2, 'manual:stale': 1, 'manual:failed': 1 });
  const errorLines = manual.lines.filter((line) => line.level === 50);
  expect(errorLines.map((line) => [line.msg, line.diff_id, line.outcome])).toEqual([['a diff fix failed', 987_654, 'failed']]);
});

const seckill = appTest({
  redis: { mode: 'seckill' },
  inventory: { health_check: { tolerance: 10, inflight_allowance: 100 }, compensation: { enable: true, max_fix_amount: 100 } },
});

seckill('seckill mode: use_db restores a missing key of any size; an INCRBY correction stays bounded', async ({ t }) => {
  await seedProducts(t.services, 5, { stockOf: () => 500 });
  await setRedisStock(t.services, 1, null);
  await setRedisStock(t.services, 2, 800); // 300 above the DB: stock the front end must not sell
  const report = await checkNow(t.app);
  expect((await fix(t.app, diffOf(report, 1).id, { fix_type: 'use_db' })).status).toBe(200);
  expect(await redisStock(t.services, 1)).toBe(500);
  expect(await fix(t.app, diffOf(report, 2).id, { fix_type: 'use_db' })).toMatchObject({ status: 409, body: { code: 'FIX_AMOUNT_EXCEEDED' } });
  expect(await redisStock(t.services, 2)).toBe(800);
});

const auto = appTest({ inventory: { compensation: { enable: true, auto_fix: true, max_fix_amount: 100 } } });

auto('auto_fix restores missing keys of any size, leaves corrections over the bound pending, and counts its attempts', async ({ t }) => {
  await seedProducts(t.services, 10, { stockOf: () => 500 });
  await setRedisStock(t.services, 1, null);
  await setRedisStock(t.services, 2, 900);
  await setRedisStock(t.services, 3, 450);
  const report = await checkNow(t.app);
  expect(report.auto_fixed).toBe(2);
  expect([await redisStock(t.services, 1), await redisStock(t.services, 2), await redisStock(t.services, 3)]).toEqual([500, 900, 500]);
  expect(diffOf(report, 2).status).toBe('pending');
  expect(await attempts(t)).toEqual({ ...zero, 'auto:applied': 2 });
});
