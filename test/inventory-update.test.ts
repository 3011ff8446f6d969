// Proves PUT /api/v1/inventory/:productId is a compare-and-set through the product's actor: it
// sets the fields it names, logs `update` with the stock change, writes Redis, answers 409
// VERSION_CONFLICT when stale, enforces the status rules (locked 423 / inactive 409 on stock
// changes, reads still work), is refused with nothing changed on bad input, and, racing with
// syncs, commits alone in its flush with an unbroken before/after chain of log rows.
import { describe, expect } from 'vitest';
import { appTest } from './helpers/app-test.js';
import { createProduct, sql, sync, type TestApp } from './helpers/test-env.js';
import { call, expectRefusedUnchanged as expectRefused, reserve } from './helpers/api.js';

const it = appTest();

type Inventory = { product_id: number; product_name: string; stock: number; reserved: number; available: number; version: number; status: string; min_stock: number; max_stock: number };

async function read(t: TestApp, productId: number): Promise<Inventory> {
  return (await call<Inventory>(t.app, 'GET', `/api/v1/inventory/${productId}`)).body.data;
}

function put(t: TestApp, productId: number, body: Record<string, unknown>) {
  return call<Inventory>(t.app, 'PUT', `/api/v1/inventory/${productId}`, body);
}

/** Refused with `status`/`code`, and the product (as read) and its log rows are as they were. */
async function expectRefusedUnchanged(t: TestApp, productId: number, request: () => ReturnType<typeof call>, status: number, code: string) {
  const product = async () => ({
    row: await read(t, productId),
    logs: await sql<{ n: number }>(t.services, 'SELECT count(*)::bigint AS n FROM inventory_logs WHERE product_id = $1', [productId]),
  });
  await expectRefused(product, request, status, code);
}

describe('PUT /api/v1/inventory/:productId', () => {
  it('sets the named fields, bumps the version once, logs update with the stock change and writes Redis', async ({ t }) => {
    await createProduct(t.app, { product_id: 10, product_name: 'Phone', stock: 40 });
    const answer = await put(t, 10, { version: 1, product_name: 'Phone X', min_stock: 5, max_stock: 500, stock: 65, reason: 'stocktake', operator: 'bob' });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toMatchObject({
      product_id: 10, product_name: 'Phone X', stock: 65, reserved: 0, available: 65, version: 2,
      status: 'active', min_stock: 5, max_stock: 500,
    });
    const logs = await sql(t.services, `SELECT op_type, delta, before_stock, after_stock, reason, operator
                                          FROM inventory_logs WHERE product_id = 10 ORDER BY id`);
    expect(logs).toEqual([
      { op_type: 'init', delta: 40, before_stock: 0, after_stock: 40, reason: null, operator: null },
      { op_type: 'update', delta: 25, before_stock: 40, after_stock: 65, reason: 'stocktake', operator: 'bob' },
    ]);
    expect(await t.services.redis.get(t.services.keys.stock(10))).toBe('65');
    // Fields not named stay as they are; a metadata-only update logs a zero stock change.
    const rename = await put(t, 10, { version: 2, product_name: 'Phone XI' });
    expect(rename.body.data).toMatchObject({ product_name: 'Phone XI', stock: 65, min_stock: 5, max_stock: 500, version: 3 });
    const [last] = await sql(t.services, 'SELECT op_type, delta FROM inventory_logs WHERE product_id = 10 ORDER BY id DESC LIMIT 1');
    expect(last).toEqual({ op_type: 'update', delta: 0 });
  });

  it('answers 409 VERSION_CONFLICT when the version is stale, with nothing changed', async ({ t }) => {
    await createProduct(t.app, { product_id: 11, stock: 40 });
    expect((await put(t, 11, { version: 1, stock: 65 })).body.data).toMatchObject({ version: 2 });
    await expectRefusedUnchanged(t, 11, () => put(t, 11, { version: 1, stock: 1 }), 409, 'VERSION_CONFLICT');
    await expectRefusedUnchanged(t, 11, () => put(t, 11, { version: 99, product_name: 'nope' }), 409, 'VERSION_CONFLICT');
  });

  it('refuses stock below reserved or above max_stock, with nothing changed', async ({ t }) => {
    await createProduct(t.app, { product_id: 12, stock: 65, min_stock: 5, max_stock: 500 });
    expect((await reserve(t.app, { product_id: 12, quantity: 30, order_id: 'hold-1' })).status).toBe(201);
    const { version } = await read(t, 12);
    await expectRefusedUnchanged(t, 12, () => put(t, 12, { version, stock: 29 }), 409, 'INSUFFICIENT_STOCK');
    await expectRefusedUnchanged(t, 12, () => put(t, 12, { version, stock: 501 }), 409, 'MAX_STOCK_EXCEEDED');
    await expectRefusedUnchanged(t, 12, () => put(t, 12, { version, max_stock: 64 }), 409, 'MAX_STOCK_EXCEEDED');
    expect((await put(t, 12, { version, stock: 30 })).body.data).toMatchObject({ stock: 30, reserved: 30, available: 0 });
  });

  it('refuses bad input with 400 and an unknown product with 404', async ({ t }) => {
    await createProduct(t.app, { product_id: 13, stock: 40 });
    const cases: [string, unknown, RegExp][] = [
      ['/api/v1/inventory/13', { stock: 5 }, /body.version is required/],
      ['/api/v1/inventory/13', { version: 1 }, /at least one of/],
      ['/api/v1/inventory/13', { version: 1, status: 'deleted' }, /body.status must be one of: active, inactive, locked/],
      ['/api/v1/inventory/13', { version: 1, stock: -1 }, /body.stock must be at least 0/],
      ['/api/v1/inventory/13', { version: 1, min_stock: -1 }, /body.min_stock must be at least 0/],
      ['/api/v1/inventory/13', { version: 0, stock: 1 }, /body.version must be at least 1/],
      ['/api/v1/inventory/13', { version: 1, colour: 'red' }, /body.colour is not a known field/],
      ['/api/v1/inventory/0', { version: 1, stock: 1 }, /params.productId must be at least 1/],
      [`/api/v1/inventory/${2 ** 53}`, { version: 1, stock: 1 }, /params.productId must be at most/],
    ];
    for (const [url, body, message] of cases) {
      const before = await read(t, 13);
      const answer = await call(t.app, 'PUT', url, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.code).toBe('VALIDATION_ERROR');
      expect(answer.body.message).toMatch(message);
      expect(await read(t, 13)).toEqual(before);
    }
    const missing = await put(t, 404404, { version: 1, stock: 1 });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('INVENTORY_NOT_FOUND');
  });

  it('applies status rules: locked 423 and inactive 409 on stock changes; reads and metadata still work', async ({ t }) => {
    await createProduct(t.app, { product_id: 20, stock: 10 });
    expect((await put(t, 20, { version: 1, status: 'locked' })).body.data).toMatchObject({ status: 'locked', version: 2 });
    await expectRefusedUnchanged(t, 20, () => sync(t.app, { product_id: 20, delta: -1 }), 423, 'INVENTORY_LOCKED');
    await expectRefusedUnchanged(t, 20, () => sync(t.app, { product_id: 20, delta: 1 }), 423, 'INVENTORY_LOCKED');
    await expectRefusedUnchanged(t, 20, () => put(t, 20, { version: 2, stock: 11 }), 423, 'INVENTORY_LOCKED');
    expect((await call(t.app, 'GET', '/api/v1/inventory?status=locked')).body.data).toMatchObject({ items: [{ product_id: 20 }] });
    expect((await call(t.app, 'POST', '/api/v1/inventory/batch', { product_ids: [20] })).body.data).toMatchObject({ items: [{ status: 'locked' }] });
    expect((await put(t, 20, { version: 2, product_name: 'frozen', min_stock: 3 })).status).toBe(200);

    expect((await put(t, 20, { version: 3, status: 'inactive' })).status).toBe(200);
    await expectRefusedUnchanged(t, 20, () => sync(t.app, { product_id: 20, delta: -1 }), 409, 'INVENTORY_INACTIVE');
    await expectRefusedUnchanged(t, 20, () => put(t, 20, { version: 4, stock: 11 }), 409, 'INVENTORY_INACTIVE');

    expect((await put(t, 20, { version: 4, status: 'active' })).status).toBe(200);
    expect((await sync(t.app, { product_id: 20, delta: -4 })).status).toBe(200);
    expect(await read(t, 20)).toMatchObject({ stock: 6, status: 'active', product_name: 'frozen', min_stock: 3, version: 6 });
  });

  it('racing with 200 syncs, commits alone in its flush and keeps an unbroken log chain', async ({ t }) => {
    await createProduct(t.app, { product_id: 30, stock: 1000 });
    for (let round = 0; round < 5; round += 1) {
      const { version } = await read(t, 30);
      const syncs = (count: number) => Array.from({ length: count }, () => sync(t.app, { product_id: 30, delta: -1 }));
      // The update goes in first on even rounds (it should win) and among the syncs on odd ones.
      const before = round % 2 === 0 ? 0 : 20;
      const answers = await Promise.all([...syncs(before), put(t, 30, { version, stock: 900 - round, status: 'active' }), ...syncs(40 - before)]);
      expect(answers.every((answer) => answer.status === 200 || (answer.status === 409 && answer.body.code === 'VERSION_CONFLICT'))).toBe(true);
    }
    const logs = await sql<{ id: number; op_type: string; delta: number; before_stock: number; after_stock: number; flush_id: number | null }>(t.services,
      'SELECT id, op_type, delta, before_stock, after_stock, flush_id FROM inventory_logs WHERE product_id = 30 ORDER BY id');
    for (let i = 1; i < logs.length; i += 1) expect(logs[i]!.before_stock, `log ${logs[i]!.id}`).toBe(logs[i - 1]!.after_stock);
    const final = await read(t, 30);
    expect(logs[logs.length - 1]!.after_stock).toBe(final.stock);
    expect(logs.filter((log) => log.op_type === 'deduct')).toHaveLength(200);
    const updates = logs.filter((log) => log.op_type === 'update');
    expect(updates.length).toBeGreaterThanOrEqual(3);
    for (const update of updates) {
      expect(logs.filter((log) => log.flush_id === update.flush_id), 'an update shares its flush').toHaveLength(1);
    }
    // Every flush of this product bumped the version once: init at 1, one per distinct flush.
    expect(final.version).toBe(1 + new Set(logs.filter((log) => log.flush_id !== null).map((log) => log.flush_id)).size);
  });
});
