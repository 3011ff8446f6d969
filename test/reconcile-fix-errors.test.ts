/**
 * Proves every bad fix or run request is refused with its code and changes nothing: unknown diff
 * (404), fixed or ignored diff (409), unknown fix_type (400), a diff over max_fix_amount (409), a
 * use_redis on a missing key (409), a stale fix after the product moved (409, DB unchanged), two
 * concurrent fixes of one diff (one applies), fixes with compensation disabled (409), unknown and
 * malformed run ids, and a trigger while a run goes (the running run, never a second).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, sql, startTestApp, sync, testConfig, type TestApp } from './helpers/test-env.js';
import { checkNow, dropRedisKeys, fix, redisStock, type Report, seedProducts, setRedisStock } from './helpers/reconcile-fixtures.js';

describe('health checker: bad input', () => {
  const config = testConfig({ logging: { level: 'error' } });
  let t: TestApp;
  let report: Report;
  const diffOf = (productId: number) => report.diffs.find((diff) => diff.product_id === productId)!;
  const fixLogCount = async (productId: number) =>
    (await sql<{ count: number }>(t.services, `SELECT count(*)::int AS count FROM inventory_logs WHERE op_type = 'fix' AND product_id = $1`, [productId]))[0]!.count;

  beforeAll(async () => {
    t = await startTestApp(config);
    await seedProducts(t.services, 50, { stockOf: () => 500 });
    await setRedisStock(t.services, 1, 600);
    await setRedisStock(t.services, 2, 2500);
    await setRedisStock(t.services, 3, null);
    await setRedisStock(t.services, 4, 530);
    await setRedisStock(t.services, 5, 540);
    await setRedisStock(t.services, 6, 525);
    report = await checkNow(t.app);
    expect(report.diffs.map((diff) => diff.product_id).sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });
  afterAll(async () => {
    if (t !== undefined) await dropRedisKeys(t.services);
    await t?.close();
    await dropDatabase(config);
  });

  it('refuses unknown and malformed diff ids and fix types', async () => {
    expect(await fix(t.app, 999_999, { fix_type: 'use_db' })).toMatchObject({ status: 404, body: { code: 'DIFF_NOT_FOUND' } });
    const malformed = await t.app.inject({ method: 'POST', url: '/api/v1/health/fix/abc', payload: { fix_type: 'use_db' } });
    expect(malformed.statusCode).toBe(400);
    expect(await fix(t.app, 0, { fix_type: 'use_db' })).toMatchObject({ status: 400, body: { code: 'VALIDATION_ERROR' } });
    const unknownType = await fix(t.app, diffOf(1).id, { fix_type: 'use_cache' });
    expect(unknownType).toMatchObject({ status: 400, body: { code: 'VALIDATION_ERROR' } });
    expect(unknownType.body.message).toContain('fix_type');
    expect(await fix(t.app, diffOf(1).id, {})).toMatchObject({ status: 400, body: { code: 'VALIDATION_ERROR' } });
    expect(await fix(t.app, diffOf(1).id, { fix_type: 'use_db', force: true })).toMatchObject({ status: 400 });
    expect((await sql(t.services, `SELECT id FROM inventory_diffs WHERE status <> 'pending'`))).toEqual([]);
  });

  it('refuses a fix over max_fix_amount but lets it be ignored, and then refuses any further fix', async () => {
    const big = diffOf(2);
    expect(big.diff).toBe(2000);
    expect(await fix(t.app, big.id, { fix_type: 'use_db' })).toMatchObject({ status: 409, body: { code: 'FIX_AMOUNT_EXCEEDED' } });
    expect(await fix(t.app, big.id, { fix_type: 'use_redis' })).toMatchObject({ status: 409, body: { code: 'FIX_AMOUNT_EXCEEDED' } });
    expect(await redisStock(t.services, 2)).toBe(2500);
    expect(await fix(t.app, big.id, { fix_type: 'ignore', operator: 'ops' }))
      .toMatchObject({ status: 200, body: { data: { status: 'ignored', fix_type: 'ignore', fixed_by: 'ops' } } });
    expect(await fix(t.app, big.id, { fix_type: 'use_db' })).toMatchObject({ status: 409, body: { code: 'DIFF_NOT_PENDING' } });
    expect(await fix(t.app, big.id, { fix_type: 'ignore' })).toMatchObject({ status: 409, body: { code: 'DIFF_NOT_PENDING' } });
    expect(await redisStock(t.services, 2)).toBe(2500);
    // An ignored diff is counted under its own label, never as a repair.
    const closed = await t.services.metrics.registry.getSingleMetric('inventory_diffs_fixed_total')!.get();
    expect(closed.values.map((v) => [v.labels.fix_type, v.value])).toEqual([['use_db', 0], ['use_redis', 0], ['ignore', 1]]);
  });

  it('refuses use_redis for a missing key, and any fix of a fixed diff', async () => {
    expect(await fix(t.app, diffOf(3).id, { fix_type: 'use_redis' })).toMatchObject({ status: 409, body: { code: 'FIX_NOT_APPLICABLE' } });
    expect(await fix(t.app, diffOf(1).id, { fix_type: 'use_db' })).toMatchObject({ status: 200, body: { data: { status: 'fixed' } } });
    expect(await redisStock(t.services, 1)).toBe(500);
    expect(await fix(t.app, diffOf(1).id, { fix_type: 'use_redis' })).toMatchObject({ status: 409, body: { code: 'DIFF_NOT_PENDING' } });
    expect(await fix(t.app, diffOf(1).id, { fix_type: 'ignore' })).toMatchObject({ status: 409, body: { code: 'DIFF_NOT_PENDING' } });
  });

  it('refuses a stale use_redis (Redis rewritten, or the row moved) and leaves the DB and the diff as they were', async () => {
    expect((await sync(t.app, { product_id: 4, delta: -5 })).status).toBe(200);
    expect(await redisStock(t.services, 4)).toBe(495); // the sync rewrote Redis: the diff no longer holds
    expect(await fix(t.app, diffOf(4).id, { fix_type: 'use_redis' })).toMatchObject({ status: 409, body: { code: 'DIFF_STALE' } });

    expect((await sync(t.app, { product_id: 5, delta: -5 })).status).toBe(200);
    await setRedisStock(t.services, 5, 540); // Redis shows the recorded value again, but the row moved on
    expect(await fix(t.app, diffOf(5).id, { fix_type: 'use_redis' })).toMatchObject({ status: 409, body: { code: 'DIFF_STALE' } });
    const rows = await sql<{ product_id: number; stock: number; version: number }>(t.services,
      'SELECT product_id, stock, version FROM inventories WHERE product_id IN (4, 5) ORDER BY product_id');
    expect(rows).toEqual([{ product_id: 4, stock: 495, version: 2 }, { product_id: 5, stock: 495, version: 2 }]);
    expect(await fixLogCount(4) + await fixLogCount(5)).toBe(0);
    const diffs = await sql<{ status: string }>(t.services, 'SELECT status FROM inventory_diffs WHERE id = ANY($1)', [[diffOf(4).id, diffOf(5).id]]);
    expect(diffs.map((d) => d.status)).toEqual(['pending', 'pending']);
  });

  it('applies one of two concurrent fixes of the same diff', async () => {
    const answers = await Promise.all([
      fix(t.app, diffOf(6).id, { fix_type: 'use_redis' }),
      fix(t.app, diffOf(6).id, { fix_type: 'use_redis' }),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    expect(await fixLogCount(6)).toBe(1);
    const [row] = await sql<{ stock: number }>(t.services, 'SELECT stock FROM inventories WHERE product_id = 6');
    expect(row!.stock).toBe(525);
  });

  it('refuses use_db and use_redis when compensation is disabled, but accepts ignore', async () => {
    // Same database, its own Redis prefix: closing an app deletes its prefix's keys, which must not be t's.
    const disabled = await startTestApp({
      ...config, redis: { ...config.redis, key_prefix: `${config.redis.key_prefix}disabled:` },
      inventory: { ...config.inventory, compensation: { ...config.inventory.compensation, enable: false } },
    });
    try {
      expect(await fix(disabled.app, diffOf(3).id, { fix_type: 'use_db' })).toMatchObject({ status: 409, body: { code: 'COMPENSATION_DISABLED' } });
      expect(await fix(disabled.app, diffOf(3).id, { fix_type: 'ignore' })).toMatchObject({ status: 200, body: { data: { status: 'ignored' } } });
    } finally {
      await disabled.close();
    }
  });

  it('answers 404 for an unknown run, 400 for a malformed run id, and the report for a known one', async () => {
    const unknown = await t.app.inject({ method: 'GET', url: '/api/v1/health/runs/00000000-0000-4000-8000-000000000000' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('RUN_NOT_FOUND');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/health/runs/not-a-run' })).statusCode).toBe(400);
    const known = await t.app.inject({ method: 'GET', url: `/api/v1/health/runs/${report.run_id}` });
    expect(known.statusCode).toBe(200);
    expect(known.json().data).toMatchObject({ run_id: report.run_id, status: 'completed', scanned: 50, diffs_found: 6 });
  });

  it('answers a trigger while a run goes with the running run, shows its progress, and a check joins it', async () => {
    expect(await redisStock(t.services, 1)).toBe(500); // t's keys are all still there
    // Hold the run: while this transaction locks inventory_diffs, recording product 2's diff (found
    // again after it was ignored) waits. Its Redis version key matches the row, so the second look
    // decides it at once, however recently the row was written: the run is held at the same point
    // whatever the timing. Only that span (and the other span sharing its thread) waits.
    const blocker = await t.services.readPool.connect();
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      await blocker.query('ROLLBACK');
      blocker.release();
    };
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE inventory_diffs IN EXCLUSIVE MODE');
      const first = await t.app.inject({ method: 'POST', url: '/api/v1/health/trigger' });
      const second = await t.app.inject({ method: 'POST', url: '/api/v1/health/trigger' });
      expect(first.statusCode).toBe(202);
      expect(second.statusCode).toBe(202);
      const runId = first.json().data.run_id as string;
      expect(first.json().data.joined).toBe(false);
      expect(second.json().data).toEqual({ run_id: runId, joined: true, status_url: `/api/v1/health/runs/${runId}` });
      // Progress while it goes: the spans without a diff are scanned, product 2's waits.
      let progress: { status: string; scanned: number; rows_per_second: number; finished_at: string | null } | undefined;
      for (let poll = 0; poll < 500 && !(progress?.scanned ?? 0); poll += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        progress = (await t.app.inject({ method: 'GET', url: `/api/v1/health/runs/${runId}` })).json().data;
      }
      expect(progress).toMatchObject({ status: 'running', finished_at: null });
      expect(progress!.scanned).toBeGreaterThan(0);
      expect(progress!.scanned).toBeLessThan(50);
      expect(progress!.rows_per_second).toBeGreaterThan(0);
      const joining = checkNow(t.app);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await release();
      const joined = await joining;
      expect(joined).toMatchObject({ run_id: runId, status: 'completed', scanned: 50 });
    } finally {
      await release();
    }
    const runs = await sql<{ count: number }>(t.services, 'SELECT count(*)::int AS count FROM reconcile_runs');
    expect(runs[0]!.count).toBe(2);
  });
});
