/**
 * Proves a run while syncs are in flight records zero diffs for products that were in sync, in both
 * Redis modes: 60 hot products take a stream of deltas larger than the tolerance (so a half-applied
 * one would show) for as long as the run goes, while the run scans in small chunks and 5 quiet
 * products drifted beforehand must be found, no more and no fewer. Post-commit Redis writes are held
 * back in bursts (CLIENT PAUSE WRITE on a private Redis, with `write_wait_ms: 0`), so Redis really
 * lags the rows: the report must show more candidates than drifted products, candidates that needed
 * the settling look, and candidates that had moved by then; otherwise the looks that keep in-flight
 * syncs out of diffs were not exercised. In seckill mode the front end is simulated: it deducts in
 * Redis first, then syncs the order. Afterwards every product's stock is exact and Redis agrees.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisMode } from '../src/config/config-types.js';
import { dropDatabase, sql, startTestApp, sync, testConfig, type TestApp } from './helpers/test-env.js';
import { PrivateRedis } from './helpers/private-redis.js';
import { redisStock, type Report, seedProducts, setRedisStock } from './helpers/reconcile-fixtures.js';
import { randomInt, seededRandom, seedFromEnv } from './helpers/seeded-random.js';

const productCount = 6000;
const hotCount = 60;
const concurrency = 64;
/** Syncs sent at least (the stream goes on while the run does) and at most. */
const syncsMin = 2000;
const syncsMax = 40_000;
const initialStock = 100_000;
const drifted = [11, 2222, 3333, 4444, 5999];
/** Hot products avoid the drifted ones: their own syncs would (rightly) repair them. */
const hot = Array.from({ length: hotCount }, (_, index) => 100 + index * 97);

for (const mode of ['cache', 'seckill'] as RedisMode[]) {
  const seed = seedFromEnv();

  describe(`a run during a stream of syncs, ${mode} mode (seed ${seed})`, () => {
    let redis: PrivateRedis;
    let t: TestApp;

    beforeAll(async () => {
      redis = await PrivateRedis.start();
      t = await startTestApp(testConfig({
        redis: { port: redis.port, mode, write_wait_ms: 0 },
        // seckill: no in-flight allowance, so an order between its Redis deduction and its sync is a candidate.
        inventory: { health_check: { chunk_rows: 50, workers: 2, inflight_allowance: mode === 'seckill' ? 0 : 100 } },
        logging: { level: 'error' },
      }));
      await seedProducts(t.services, productCount, { stockOf: () => initialStock });
      for (const productId of drifted) await setRedisStock(t.services, productId, initialStock + 77);
    });
    afterAll(async () => {
      await t?.close();
      await redis?.stop();
      if (t !== undefined) await dropDatabase(t.config);
    });

    it('records only the drifted quiet products, after settling looks at the moving ones', async () => {
      expect(hot.some((id) => drifted.includes(id))).toBe(false);
      const random = seededRandom(seed);
      const sent: { productId: number; delta: number }[] = [];
      const statuses: number[] = [];
      let report: Report | null = null;
      let runDone = false;

      // The seckill front end deducts in Redis before the order reaches this service.
      const frontEnd = new Redis({ port: redis.port });
      const sender = async () => {
        while ((!runDone || sent.length < syncsMin) && sent.length < syncsMax) {
          const magnitude = randomInt(random, 15, 54);
          const change = { productId: hot[randomInt(random, 0, hotCount - 1)]!, delta: random() < 0.5 ? -magnitude : magnitude };
          sent.push(change);
          if (mode === 'seckill' && change.delta < 0) await frontEnd.decrby(t.services.keys.stock(change.productId), magnitude);
          statuses.push((await sync(t.app, { product_id: change.productId, delta: change.delta })).status);
        }
      };
      const pauser = new Redis({ port: redis.port });
      const holdWrites = async () => {
        while (!runDone) {
          await pauser.call('CLIENT', 'PAUSE', '100', 'WRITE');
          await sleep(250);
        }
      };
      const check = async () => {
        while (sent.length < 200) await sleep(5); // start once syncs are flowing
        const response = await t.app.inject({ method: 'GET', url: '/api/v1/health/check' });
        runDone = true;
        expect(response.statusCode, response.body).toBe(200);
        report = response.json().data as Report;
      };
      try {
        await Promise.all([check(), holdWrites(), ...Array.from({ length: concurrency }, sender)]);
      } finally {
        runDone = true;
        frontEnd.disconnect();
        pauser.disconnect();
      }
      const run = report as unknown as Report;
      console.info(`${mode} seed ${seed}: ${sent.length} syncs; ${run.candidates} candidates, ${run.settling} settling, ` +
        `${run.moved} moved, ${run.diffs_found} diffs`);

      expect(statuses.filter((status) => status === 200)).toHaveLength(sent.length);
      expect(run.status).toBe('completed');
      expect(run.scanned).toBe(productCount);
      expect(run.diffs.map((diff) => diff.product_id).sort((a, b) => a - b), `seed ${seed}`).toEqual(drifted);
      expect(run.diffs_found, `seed ${seed}`).toBe(drifted.length);
      expect(run.candidates, `seed ${seed}`).toBeGreaterThan(drifted.length);
      // cache mode decides the drifted products on the second look (Redis carries the row version);
      // seckill mode settles every candidate, the drifted ones included.
      expect(run.settling, `seed ${seed}`).toBeGreaterThan(mode === 'seckill' ? drifted.length : 0);
      expect(run.moved, `seed ${seed}`).toBeGreaterThan(0);

      const expectedStock = new Map<number, number>();
      for (const { productId, delta } of sent) expectedStock.set(productId, (expectedStock.get(productId) ?? initialStock) + delta);
      for (const [productId, stock] of expectedStock) {
        const [row] = await sql<{ stock: number }>(t.services, 'SELECT stock FROM inventories WHERE product_id = $1', [productId]);
        expect(row!.stock, `product ${productId}`).toBe(stock);
        // The last held writes may still be landing.
        let value = await redisStock(t.services, productId);
        for (let attempt = 0; attempt < 40 && value !== stock; attempt += 1) {
          await sleep(25);
          value = await redisStock(t.services, productId);
        }
        expect(value, `product ${productId}`).toBe(stock);
      }
      const logs = await sql<{ count: number }>(t.services, `SELECT count(*)::int AS count FROM inventory_logs WHERE op_type IN ('add', 'deduct')`);
      expect(logs[0]!.count).toBe(sent.length);
    });
  });
}
