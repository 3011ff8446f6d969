/**
 * Proves correctness does not depend on one process owning a product: two app instances (each with
 * its own actors and pools) on one database take 1,000 mixed deltas on the same products, and each
 * product's final stock equals its start plus the sum of acknowledged deltas, with one log row per
 * acknowledged delta; a key sent to both instances at once applies once.
 */
import { expect } from 'vitest';
import { appTest } from './helpers/app-test.js';
import { createProduct, sql, sync, type TestApp } from './helpers/test-env.js';
import { randomInt, seededRandom, seedFromEnv } from './helpers/seeded-random.js';

const it = appTest({ engine: { shards: 2 } });

it('two instances on one database stay exact under 1,000 mixed concurrent deltas', async ({ t: a, peer: b }) => {
  const seed = seedFromEnv();
  const random = seededRandom(seed);
  const products = [11, 12, 13, 14, 15];
  for (const productId of products) await createProduct(a.app, { product_id: productId, stock: 60 });

  const requests = Array.from({ length: 1000 }, (_, i) => ({
    app: random() < 0.5 ? a : b,
    body: {
      product_id: products[randomInt(random, 0, products.length - 1)]!,
      delta: random() < 0.7 ? -randomInt(random, 1, 3) : randomInt(random, 1, 3),
      ...(random() < 0.5 ? { order_id: `o-${i}` } : {}),
    },
  }));
  // In waves, so after the first each instance holds a cached version the other keeps moving.
  const answers: Awaited<ReturnType<typeof sync>>[] = [];
  for (let wave = 0; wave < requests.length; wave += 50) {
    answers.push(...await Promise.all(requests.slice(wave, wave + 50).map((r) => sync(r.app.app, r.body))));
  }

  expect(answers.every((x) => x.status === 200 || x.body.code === 'INSUFFICIENT_STOCK'), `seed ${seed}`).toBe(true);
  for (const productId of products) {
    const acknowledged = requests
      .map((r, i) => ({ r, answer: answers[i]! }))
      .filter(({ r, answer }) => r.body.product_id === productId && answer.status === 200);
    const expected = 60 + acknowledged.reduce((sum, { r }) => sum + r.body.delta, 0);
    const [row] = await sql(a.services, 'SELECT stock FROM inventories WHERE product_id = $1', [productId]);
    expect(row!.stock, `product ${productId}, seed ${seed}`).toBe(expected);
    const [logs] = await sql(a.services,
      `SELECT count(*)::int AS n, coalesce(sum(delta), 0)::int AS total FROM inventory_logs WHERE product_id = $1 AND op_type <> 'init'`, [productId]);
    expect(logs, `seed ${seed}`).toEqual({ n: acknowledged.length, total: expected - 60 });
  }
  // The race really happened: some flush found its version moved by the other instance and re-planned.
  const replans = async (t: TestApp) => (await t.services.metrics.flushReplans.get()).values
    .filter((v) => v.labels.reason === 'version_moved').reduce((sum, v) => sum + v.value, 0);
  expect((await replans(a)) + (await replans(b))).toBeGreaterThan(0);
});

it('a key sent to both instances at once applies once', async ({ t: a, peer: b }) => {
  await createProduct(a.app, { product_id: 21, stock: 100 });
  await b.app.inject({ method: 'GET', url: '/api/v1/inventory/21' });
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) =>
    sync((i % 2 === 0 ? a : b).app, { product_id: 21, delta: -7, order_id: 'both-instances' })));
  expect(answers.every((x) => x.status === 200)).toBe(true);
  expect(answers.filter((x) => !x.body.data.replayed)).toHaveLength(1);
  const [row] = await sql(a.services, 'SELECT stock FROM inventories WHERE product_id = 21');
  expect(row!.stock).toBe(93);
  const [logs] = await sql(a.services, `SELECT count(*)::int AS n FROM inventory_logs WHERE product_id = 21 AND op_type = 'deduct'`);
  expect(logs!.n).toBe(1);
});
