/**
 * Proves a run while 2,000 syncs are in flight records zero diffs for products that were in sync:
 * 300 hot products take 2,000 deltas larger than the tolerance (so a half-applied one would show)
 * while the run scans in small chunks, and 5 quiet products drifted beforehand must be found, no
 * more and no fewer; afterwards every product's stock is exact and Redis agrees with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, sql, startTestApp, sync, testConfig, type TestApp } from './helpers/test-env.js';
import { dropRedisKeys, redisStock, type Report, seedProducts, setRedisStock } from './helpers/reconcile-fixtures.js';

const productCount = 6000;
const hotCount = 300;
const syncCount = 2000;
const concurrency = 64;
const initialStock = 100_000;
const seed = Number(process.env.TEST_SEED ?? Date.now() % 1_000_000);

describe(`a run during 2,000 in-flight syncs (seed ${seed})`, () => {
  const config = testConfig({
    inventory: { health_check: { chunk_rows: 50, workers: 2 } },
    logging: { level: 'error' },
  });
  let t: TestApp;
  const drifted = [11, 2222, 3333, 4444, 5999];

  beforeAll(async () => {
    t = await startTestApp(config);
    await seedProducts(t.services, productCount, { stockOf: () => initialStock });
    for (const productId of drifted) await setRedisStock(t.services, productId, initialStock + 77);
  });
  afterAll(async () => {
    if (t !== undefined) await dropRedisKeys(t.services);
    await t?.close();
    await dropDatabase(config);
  });

  it('records only the drifted quiet products, none of the synced ones', async () => {
    let state = seed;
    const next = () => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648);
    // Hot products avoid the drifted ones: their own syncs would (rightly) repair them.
    const hot = Array.from({ length: hotCount }, (_, index) => 100 + index * 19);
    expect(hot.some((id) => drifted.includes(id))).toBe(false);
    const deltas = Array.from({ length: syncCount }, () => {
      const magnitude = 15 + (next() % 40);
      return { productId: hot[next() % hotCount]!, delta: next() % 2 === 0 ? -magnitude : magnitude };
    });
    const expectedStock = new Map<number, number>();
    for (const { productId, delta } of deltas) expectedStock.set(productId, (expectedStock.get(productId) ?? initialStock) + delta);

    let sent = 0;
    let runStarted: Promise<Report> | null = null;
    const statuses: number[] = [];
    const sender = async () => {
      while (sent < syncCount) {
        const { productId, delta } = deltas[sent++]!;
        // Start the run once syncs are flowing, so it scans while they land.
        if (sent === 200) runStarted = check();
        statuses.push((await sync(t.app, { product_id: productId, delta })).status);
      }
    };
    const check = async () => {
      const response = await t.app.inject({ method: 'GET', url: '/api/v1/health/check' });
      expect(response.statusCode).toBe(200);
      return response.json().data as Report;
    };
    await Promise.all(Array.from({ length: concurrency }, sender));
    const report = await runStarted!;

    expect(statuses.filter((status) => status === 200)).toHaveLength(syncCount);
    expect(report.status).toBe('completed');
    expect(report.scanned).toBe(productCount);
    expect(report.diffs.map((diff) => diff.product_id).sort((a, b) => a - b), `seed ${seed}`).toEqual(drifted);
    expect(report.diffs_found, `seed ${seed}`).toBe(drifted.length);
    console.info(`seed ${seed}: ${report.candidates} candidates on the first look, ${report.diffs_found} diffs`);

    for (const [productId, stock] of expectedStock) {
      const [row] = await sql<{ stock: number }>(t.services, 'SELECT stock FROM inventories WHERE product_id = $1', [productId]);
      expect(row!.stock, `product ${productId}`).toBe(stock);
      expect(await redisStock(t.services, productId), `product ${productId}`).toBe(stock);
    }
    const logs = await sql<{ count: number }>(t.services, `SELECT count(*)::int AS count FROM inventory_logs WHERE op_type IN ('add', 'deduct')`);
    expect(logs[0]!.count).toBe(syncCount);
  });
});
