/**
 * Proves the flush statement announces exactly the stock crossings that committed, under
 * concurrency on two instances: seeded random deltas on a few products with small stock (so they
 * run out, come back and dip under min_stock again and again) are sent through both instances at
 * once; afterwards every committed flush of a product (its log rows, grouped by flush) is replayed
 * from its first row's before_stock to its last row's after_stock, and the product's stock.*
 * outbox rows must be exactly the crossings of that replay, in commit order, with the same
 * before/after values: none missing, none extra, none for a refused delta.
 */
import { afterAll, expect } from 'vitest';
import { appTest } from './helpers/app-test.js';
import { randomInt, seededRandom, seedFromEnv } from './helpers/seeded-random.js';
import { createProduct, sql, sync } from './helpers/test-env.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

const receiver = await WebhookReceiver.start('crossings');
afterAll(() => receiver.stop());
const it = appTest({
  notifications: {
    webhooks: [{ url: receiver.url, secret: receiver.secret, events: ['stock.low', 'stock.out', 'stock.back_in_stock'] }],
    poll_interval_ms: 50,
  },
});

const products = [1, 2, 3];
const minStock = 3;

/** The event a flush from `before` to `after` available must write, as the flush statement defines it. */
function crossingOf(before: number, after: number): string | null {
  if (after === 0 && before > 0) return 'stock.out';
  if (after > 0 && before === 0) return 'stock.back_in_stock';
  if (after > 0 && after <= minStock && before > minStock) return 'stock.low';
  return null;
}

it('writes one event per committed crossing, in commit order, on two instances at once', async ({ t, peer }) => {
  const seed = seedFromEnv();
  const random = seededRandom(seed);
  for (const productId of products) await createProduct(t.app, { product_id: productId, stock: 5, min_stock: minStock });
  let refused = 0;
  for (let wave = 0; wave < 30; wave += 1) {
    const answers = await Promise.all(Array.from({ length: 20 }, () => {
      const delta = randomInt(random, 1, 3) * (random() < 0.55 ? -1 : 1);
      const app = random() < 0.5 ? t.app : peer.app;
      return sync(app, { product_id: products[randomInt(random, 0, products.length - 1)], delta });
    }));
    for (const answer of answers) {
      if (answer.status === 409) refused += 1;
      else expect(answer.status, `seed ${seed}`).toBe(200);
    }
  }
  expect(refused, `seed ${seed}: some deltas must be refused for the test to mean anything`).toBeGreaterThan(0);

  let crossings = 0;
  for (const productId of products) {
    const flushes = await sql<{ before_stock: number; after_stock: number }>(t.services, `
      SELECT (array_agg(before_stock ORDER BY id))[1] AS before_stock, (array_agg(after_stock ORDER BY id DESC))[1] AS after_stock
        FROM inventory_logs WHERE product_id = $1 AND op_type <> 'init'
       GROUP BY flush_id ORDER BY min(id)`, [productId]);
    const expected = flushes
      .map((flush) => ({ type: crossingOf(flush.before_stock, flush.after_stock), before: flush.before_stock, after: flush.after_stock }))
      .filter((event) => event.type !== null);
    const written = await sql<{ event_type: string; data: { available_before: number; available: number } }>(t.services,
      `SELECT event_type, data FROM webhook_outbox WHERE product_id = $1 ORDER BY id`, [productId]);
    expect(written.map((row) => ({ type: row.event_type, before: row.data.available_before, after: row.data.available })),
      `seed ${seed}, product ${productId}`).toEqual(expected);
    const [current] = await sql<{ stock: number }>(t.services, 'SELECT stock FROM inventories WHERE product_id = $1', [productId]);
    expect(flushes.at(-1)?.after_stock ?? 5, `seed ${seed}`).toBe(current!.stock);
    crossings += expected.length;
  }
  expect(crossings, `seed ${seed}: the walk must cross lines`).toBeGreaterThan(10);
  console.log(`seed ${seed}: ${crossings} crossings announced, ${refused} deltas refused`);
});
