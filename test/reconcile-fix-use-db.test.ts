/**
 * Proves use_db fixes apply once and only while their finding holds: in cache mode a fix writes the
 * row's available and version even when Redis's version key is ahead of the row (the guarded write
 * used to change nothing and call it fixed); in seckill mode a product still drifted on a second
 * run keeps one pending diff (refreshed, so fixing every pending diff corrects Redis once, not
 * twice), a diff whose in-flight orders reached the DB since (version moved) or whose Redis value
 * moved since is refused with DIFF_STALE and changes nothing, and a fix whose Redis command times
 * out (a paused private Redis) stays closed rather than being reopened for a second application.
 * Each case checks the exact Redis value and the diff's state.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDiff, reopenDiff, selectDiff } from '../src/store/postgres/diff-queries.js';
import { dropDatabase, sql, startTestApp, sync, testConfig, type TestApp } from './helpers/test-env.js';
import { PrivateRedis } from './helpers/private-redis.js';
import { checkNow, dropRedisKeys, fix, pendingDiffs, redisStock, type Report, seckillCheckerConfig, seedProducts, setRedisStock } from './helpers/reconcile-fixtures.js';

/** The report's diff of one product (earlier tests' leftovers may be listed too). */
const diffFor = (report: Report, productId: number) => report.diffs.find((diff) => diff.product_id === productId);

describe('use_db in cache mode', () => {
  const config = testConfig({ logging: { level: 'error' } });
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(config);
    await seedProducts(t.services, 10, { stockOf: () => 500 });
  });
  afterAll(async () => {
    if (t !== undefined) await dropRedisKeys(t.services);
    await t?.close();
    await dropDatabase(config);
  });

  it('writes the row to Redis even when Redis holds a version ahead of the row', async () => {
    // Left by a database restored from a backup: Redis claims version 99 of a row at version 1.
    await t.services.redis.set(t.services.keys.version(1), '99');
    await setRedisStock(t.services, 1, 600);
    const report = await checkNow(t.app);
    expect(report.diffs.map((diff) => [diff.product_id, diff.diff])).toEqual([[1, 100]]);
    expect(await fix(t.app, report.diffs[0]!.id, { fix_type: 'use_db' })).toMatchObject({ status: 200, body: { data: { status: 'fixed' } } });
    expect(await redisStock(t.services, 1)).toBe(500);
    expect(await t.services.redis.get(t.services.keys.version(1))).toBe('1');
    // Post-commit writes are accepted again, and the next run finds nothing.
    expect((await sync(t.app, { product_id: 1, delta: -5 })).status).toBe(200);
    expect(await redisStock(t.services, 1)).toBe(495);
    expect((await checkNow(t.app)).diffs_found).toBe(0);
  });

  it('takes a diff only while it holds the finding that was read, and a failed fix of a superseded diff closes it', async () => {
    await setRedisStock(t.services, 2, 530);
    const recorded = diffFor(await checkNow(t.app), 2);
    const seen = (await selectDiff(t.services.readPool, recorded!.id))!;
    // A run refreshes the pending diff with a newer finding between the read and the take.
    await sql(t.services, 'UPDATE inventory_diffs SET diff = 40, redis_stock = 540 WHERE id = $1', [seen.id]);
    expect(await closeDiff(t.services.readPool, seen, 'fixed', 'use_db', 'tester')).toBeNull();
    const fresh = (await selectDiff(t.services.readPool, seen.id))!;
    expect(await closeDiff(t.services.readPool, fresh, 'fixed', 'use_redis', 'tester')).toMatchObject({ status: 'fixed' });
    // While it was taken a newer pending diff appeared: the failed fix cannot reopen it (one pending per product).
    await sql(t.services, `INSERT INTO inventory_diffs (product_id, run_id, db_stock, redis_stock, diff, db_version)
                           VALUES (2, 'later-run', 500, 550, 50, 1)`);
    expect(await reopenDiff(t.services.readPool, seen.id, 'use_redis')).toBe('ignored');
    expect((await pendingDiffs(t.services, 2)).map((diff) => diff.diff)).toEqual([50]);
  });
});

describe('use_db in seckill mode', () => {
  const config = seckillCheckerConfig();
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(config);
    await seedProducts(t.services, 20, { stockOf: () => 500 });
  });
  afterAll(async () => {
    if (t !== undefined) await dropRedisKeys(t.services);
    await t?.close();
    await dropDatabase(config);
  });

  it('keeps one pending diff per product across runs, so fixing every pending diff corrects Redis once', async () => {
    await setRedisStock(t.services, 1, 389);
    const first = await checkNow(t.app);
    const second = await checkNow(t.app);
    expect(first.diffs.map((diff) => [diff.product_id, diff.diff])).toEqual([[1, -111]]);
    expect(second.diffs.map((diff) => [diff.id, diff.diff])).toEqual([[first.diffs[0]!.id, -111]]);
    const pending = await pendingDiffs(t.services, 1);
    expect(pending).toHaveLength(1);
    for (const diff of pending) expect((await fix(t.app, diff.id, { fix_type: 'use_db' })).status).toBe(200);
    expect(await redisStock(t.services, 1)).toBe(500);
    expect(await fix(t.app, pending[0]!.id, { fix_type: 'use_db' })).toMatchObject({ status: 409, body: { code: 'DIFF_NOT_PENDING' } });
    expect(await redisStock(t.services, 1)).toBe(500);
  });

  it('refuses a diff whose in-flight orders reached the DB since it was recorded', async () => {
    await setRedisStock(t.services, 2, 380); // the front end took 120 in orders not yet synced
    const diff = diffFor(await checkNow(t.app), 2);
    expect(diff).toMatchObject({ diff: -120, db_version: 1 });
    expect((await sync(t.app, { product_id: 2, delta: -120, order_id: 'late' })).status).toBe(200);
    const answer = await fix(t.app, diff!.id, { fix_type: 'use_db' });
    expect(answer).toMatchObject({ status: 409, body: { code: 'DIFF_STALE' } });
    expect(answer.body.message).toContain('version 2');
    expect(await redisStock(t.services, 2)).toBe(380); // not 500: the front end would have sold 120 twice
    expect(await pendingDiffs(t.services, 2)).toEqual([expect.objectContaining({ id: diff!.id })]);
  });

  it('refuses a diff whose Redis value moved since it was recorded, and fixes the refreshed one', async () => {
    await setRedisStock(t.services, 3, 389);
    const diff = diffFor(await checkNow(t.app), 3);
    await t.services.redis.decrby(t.services.keys.stock(3), 5); // the front end sold 5 more since
    expect(await fix(t.app, diff!.id, { fix_type: 'use_db' })).toMatchObject({ status: 409, body: { code: 'DIFF_STALE' } });
    expect(await redisStock(t.services, 3)).toBe(384);
    const refreshed = diffFor(await checkNow(t.app), 3);
    expect(refreshed).toMatchObject({ id: diff!.id, diff: -116, redis_stock: 384 });
    expect(await fix(t.app, diff!.id, { fix_type: 'use_db' })).toMatchObject({ status: 200 });
    expect(await redisStock(t.services, 3)).toBe(500);
  });

  it('fixes a missing key by adding the DB value', async () => {
    await setRedisStock(t.services, 4, null);
    const diff = diffFor(await checkNow(t.app), 4);
    expect(diff).toMatchObject({ redis_stock: null, diff: -500 });
    expect(await fix(t.app, diff!.id, { fix_type: 'use_db' })).toMatchObject({ status: 200 });
    expect(await redisStock(t.services, 4)).toBe(500);
  });
});

describe('use_db whose Redis command times out', () => {
  let redis: PrivateRedis;
  let t: TestApp;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    t = await startTestApp(testConfig({ redis: { port: redis.port, mode: 'seckill', command_timeout_ms: 200 }, logging: { level: 'error' } }));
    await seedProducts(t.services, 5, { stockOf: () => 500 });
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
    if (t !== undefined) await dropDatabase(t.config);
  });

  it('leaves the diff closed (not reopened) when Redis does not answer in time', async () => {
    await setRedisStock(t.services, 1, 389);
    await setRedisStock(t.services, 2, 389);
    const report = await checkNow(t.app);
    const diffOf = (productId: number) => diffFor(report, productId)!;
    // A first fix loads the script, so the one held below runs once Redis resumes.
    expect((await fix(t.app, diffOf(1).id, { fix_type: 'use_db' })).status).toBe(200);
    const pauser = new Redis({ port: redis.port });
    try {
      await pauser.call('CLIENT', 'PAUSE', '800', 'ALL');
      const answer = await fix(t.app, diffOf(2).id, { fix_type: 'use_db' });
      expect(answer).toMatchObject({ status: 503, body: { code: 'FIX_OUTCOME_UNKNOWN' } });
      const [row] = await sql<{ status: string }>(t.services, 'SELECT status FROM inventory_diffs WHERE id = $1', [diffOf(2).id]);
      expect(row!.status).toBe('fixed');
      expect(await fix(t.app, diffOf(2).id, { fix_type: 'use_db' })).toMatchObject({ status: 409, body: { code: 'DIFF_NOT_PENDING' } });
    } finally {
      pauser.disconnect();
    }
    // The held command ran when Redis resumed: reopening the diff would have let a retry apply it again.
    let value: number | null = null;
    for (let attempt = 0; attempt < 50 && value !== 500; attempt += 1) {
      await sleep(50);
      value = await redisStock(t.services, 2).catch(() => null);
    }
    expect(value).toBe(500);
  });
});
