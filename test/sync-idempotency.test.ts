/**
 * Proves exactly-once: a key sent 20 times concurrently applies once and every answer carries the
 * first result (19 replayed); a retry in a later flush replays from the stored record; the same key
 * with another delta is 409 IDEMPOTENCY_CONFLICT; an order may deduct once and restock once.
 */
import { describe, expect } from 'vitest';
import { appTest } from './helpers/app-test.js';
import { createProduct, sql, sync, type TestApp } from './helpers/test-env.js';

const it = appTest();

const logCount = async (t: TestApp, productId: number) =>
  (await sql(t.services, 'SELECT count(*)::int AS n FROM inventory_logs WHERE product_id = $1 AND op_type <> $2', [productId, 'init']))[0]!.n;

describe('sync idempotency', () => {
  it('applies the same order_id sent 20 times concurrently once', async ({ t }) => {
    await createProduct(t.app, { product_id: 1, stock: 100 });
    const answers = await Promise.all(Array.from({ length: 20 }, () =>
      sync(t.app, { product_id: 1, delta: -3, order_id: 'order-20x' })));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers.filter((a) => a.body.data.replayed === false)).toHaveLength(1);
    expect(answers.filter((a) => a.body.data.replayed === true)).toHaveLength(19);
    const { replayed: _r, ...first } = answers.find((a) => !a.body.data.replayed)!.body.data;
    for (const answer of answers) {
      const { replayed: _x, ...data } = answer.body.data;
      expect(data).toEqual(first);
    }
    expect(first).toMatchObject({ before_stock: 100, after_stock: 97 });
    expect(await logCount(t, 1)).toBe(1);
    const [row] = await sql(t.services, 'SELECT stock FROM inventories WHERE product_id = 1');
    expect(row!.stock).toBe(97);
  });

  it('replays from the stored record when the retry comes in a later flush', async ({ t }) => {
    await createProduct(t.app, { product_id: 2, stock: 10 });
    const first = await sync(t.app, { product_id: 2, delta: -4, idempotency_key: 'k-2' });
    await sync(t.app, { product_id: 2, delta: -1 });
    const retry = await sync(t.app, { product_id: 2, delta: -4, idempotency_key: 'k-2' });
    expect(retry.status).toBe(200);
    expect(retry.body.data).toEqual({ ...first.body.data, replayed: true });
    expect(await logCount(t, 2)).toBe(2);
  });

  it('answers 409 IDEMPOTENCY_CONFLICT for the same key with another delta, and changes nothing', async ({ t }) => {
    await createProduct(t.app, { product_id: 3, stock: 10 });
    await sync(t.app, { product_id: 3, delta: -2, order_id: 'o-3' });
    const conflict = await sync(t.app, { product_id: 3, delta: -5, order_id: 'o-3' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(conflict.body.message).toContain('o-3');
    const [row] = await sql(t.services, 'SELECT stock, version FROM inventories WHERE product_id = 3');
    expect(row).toMatchObject({ stock: 8, version: 2 });
    expect(await logCount(t, 3)).toBe(1);
  });

  it('lets one order deduct once and restock once (op type is part of the key)', async ({ t }) => {
    await createProduct(t.app, { product_id: 4, stock: 10 });
    expect((await sync(t.app, { product_id: 4, delta: -5, order_id: 'o-4' })).body.data.replayed).toBe(false);
    expect((await sync(t.app, { product_id: 4, delta: 5, order_id: 'o-4' })).body.data.replayed).toBe(false);
    expect((await sync(t.app, { product_id: 4, delta: 5, order_id: 'o-4' })).body.data.replayed).toBe(true);
    const [row] = await sql(t.services, 'SELECT stock FROM inventories WHERE product_id = 4');
    expect(row!.stock).toBe(10);
  });

  it('does not record a refused delta, so its retry is judged afresh', async ({ t }) => {
    await createProduct(t.app, { product_id: 5, stock: 1 });
    expect((await sync(t.app, { product_id: 5, delta: -2, order_id: 'o-5' })).body.code).toBe('INSUFFICIENT_STOCK');
    await sync(t.app, { product_id: 5, delta: 5 });
    const retry = await sync(t.app, { product_id: 5, delta: -2, order_id: 'o-5' });
    expect(retry.status).toBe(200);
    expect(retry.body.data).toMatchObject({ replayed: false, before_stock: 6, after_stock: 4 });
  });

  it('keeps keys per product: the same order_id on two products applies to each', async ({ t }) => {
    await createProduct(t.app, { product_id: 6, stock: 5 });
    await createProduct(t.app, { product_id: 7, stock: 5 });
    const [a, b] = await Promise.all([
      sync(t.app, { product_id: 6, delta: -1, order_id: 'shared' }),
      sync(t.app, { product_id: 7, delta: -1, order_id: 'shared' }),
    ]);
    expect([a.body.data.replayed, b.body.data.replayed]).toEqual([false, false]);
  });

  it('a key refused and then applied in one flush answers each in arrival order', async ({ t }) => {
    await createProduct(t.app, { product_id: 8, stock: 5 });
    await sync(t.app, { product_id: 8, delta: -1 }); // the actor now trusts its cached state
    const [refused, restock, applied] = await Promise.all([
      sync(t.app, { product_id: 8, delta: -10, order_id: 'late-key' }),
      sync(t.app, { product_id: 8, delta: 10 }),
      sync(t.app, { product_id: 8, delta: -10, order_id: 'late-key' }),
    ]);
    expect(refused.body.code).toBe('INSUFFICIENT_STOCK');
    expect(restock.status).toBe(200);
    expect(applied.body.data).toMatchObject({ before_stock: 14, after_stock: 4, replayed: false });
    // All three shared one flush: one version step.
    expect(applied.body.data.version).toBe(3);
  });
});
