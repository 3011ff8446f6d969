/**
 * Proves the stats endpoints stay cheap under polling: 100 calls to each stats route over one
 * second (a dashboard at 100 calls/s) cost one catalogue pass and one diff count in PostgreSQL,
 * counted at the read pool, with the snapshot's age in the answer; once older than its bound the
 * next call refreshes it. (The snapshot source itself: test/unit/http/stats-snapshot.test.ts.)
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { createProduct, dropDatabase, startTestApp, testConfig, type TestApp } from './helpers/test-env.js';

describe('GET /api/v1/stats/* at 100 calls per second', () => {
  let t: TestApp;
  const queries = new Map<string, number>();
  beforeAll(async () => {
    t = await startTestApp(testConfig({ inventory: { stats_max_age_ms: 3000 } }));
    for (let productId = 1; productId <= 20; productId += 1) await createProduct(t.app, { product_id: productId, stock: 10 });
    // Count the statements the read pool runs, by prepared-statement name.
    const pool = t.services.readPool;
    const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
    (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const name = (args[0] as pg.QueryConfig).name ?? 'unnamed';
      queries.set(name, (queries.get(name) ?? 0) + 1);
      return query(...args);
    };
  });
  afterAll(async () => { await t.close(); await dropDatabase(t.config); });

  it('runs one catalogue pass and one diff count for 100 calls each in a second, and says how old they are', async () => {
    const ages: number[] = [];
    for (let call = 0; call < 100; call += 1) {
      const [inventory, service] = await Promise.all([
        t.app.inject({ method: 'GET', url: '/api/v1/stats/inventory' }),
        t.app.inject({ method: 'GET', url: '/api/v1/stats/service' }),
      ]);
      expect(inventory.json().data.products).toBe(20);
      ages.push(inventory.json().data.age_seconds, service.json().data.age_seconds);
      expect(Date.parse(inventory.json().data.as_of)).toBeLessThanOrEqual(Date.now());
      await sleep(10);
    }
    expect(queries.get('stats_inventory')).toBe(1);
    expect(queries.get('stats_diffs')).toBe(1);
    expect(Math.max(...ages)).toBeLessThanOrEqual(3);

    // Once the snapshot is older than its bound, the next call refreshes it, and sees the new product.
    await createProduct(t.app, { product_id: 21, stock: 10 });
    const deadline = Date.now() + 10_000;
    let products = 20;
    while (products === 20 && Date.now() < deadline) {
      products = (await t.app.inject({ method: 'GET', url: '/api/v1/stats/inventory' })).json().data.products;
      await sleep(100);
    }
    expect(products).toBe(21);
    expect(queries.get('stats_inventory')).toBe(2);
  });
});
