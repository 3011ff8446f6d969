// Proves an order hold changes all of its lines or none, on real PostgreSQL and Redis: a 4-line
// cart with one line short is refused with one reason per failing line and leaves nothing held;
// a hold, its replay and a conflicting retry; confirm, release and expiry each end every line in
// one transaction (exact stock, reserved, reservation rows, log rows, versions and Redis values);
// a line cannot be ended alone through the single-reservation routes; and the refusals change nothing.
import { describe, expect } from 'vitest';
import { appTest } from './helpers/app-test.js';
import { createProduct, sql, type TestApp } from './helpers/test-env.js';
import { call, expectRefusedUnchanged as expectRefused, finishReservation, reserve } from './helpers/api.js';

// The sweeper's timer stays quiet: the expiry test runs its pass itself.
const it = appTest({ reservations: { sweep_interval_ms: 3_600_000 } });

interface Hold {
  order_id: string; status: string; expires_at: string; replayed: boolean;
  lines: { product_id: number; quantity: number; reservation_id: number; status: string }[];
}

const hold = (t: TestApp, orderId: string, body: Record<string, unknown>) => call<Hold>(t.app, 'POST', `/api/v1/orders/${orderId}/holds`, body);
const finish = (t: TestApp, orderId: string, action: 'confirm' | 'release') => call<Hold>(t.app, 'POST', `/api/v1/orders/${orderId}/${action}`);

async function products(t: TestApp, ids: number[]) {
  return sql(t.services, 'SELECT product_id, stock, reserved, version FROM inventories WHERE product_id = ANY($1) ORDER BY product_id', [ids]);
}

async function snapshot(t: TestApp) {
  return {
    products: await sql(t.services, 'SELECT product_id, stock, reserved, version, status FROM inventories ORDER BY product_id'),
    reservations: await sql(t.services, 'SELECT id, status, quantity FROM inventory_reservations ORDER BY id'),
    orders: await sql(t.services, 'SELECT order_id, status FROM order_holds ORDER BY order_id'),
    logs: (await sql(t.services, 'SELECT count(*)::bigint AS n FROM inventory_logs'))[0],
  };
}

function expectRefusedUnchanged(t: TestApp, request: () => ReturnType<typeof call>, status: number, code: string) {
  return expectRefused(() => snapshot(t), request, status, code);
}

async function redisAvailable(t: TestApp, productId: number): Promise<number> {
  return Number(await t.services.redis.get(t.services.keys.stock(productId)));
}

async function logsOf(t: TestApp, orderId: string) {
  return sql(t.services, 'SELECT product_id, op_type, delta, reserved_delta, before_stock, after_stock FROM inventory_logs WHERE order_id = $1 ORDER BY id', [orderId]);
}

describe('order holds', () => {
  it('refuses a 4-line cart with one line short: 409, one reason per failing line, nothing held', async ({ t }) => {
    for (const id of [11, 12, 13, 14]) await createProduct(t.app, { product_id: id, stock: 10 });
    await createProduct(t.app, { product_id: 15, stock: 10 });
    await sql(t.services, "UPDATE inventories SET status = 'locked', version = version + 1 WHERE product_id = 15");
    const items = [{ product_id: 11, quantity: 2 }, { product_id: 12, quantity: 10 }, { product_id: 13, quantity: 11 }, { product_id: 14, quantity: 1 }];
    const answer = await expectRefusedUnchanged(t, () => hold(t, 'short-1', { items }), 409, 'ORDER_HOLD_REFUSED');
    expect(answer.body.data).toEqual({
      order_id: 'short-1',
      lines: [{ product_id: 13, quantity: 11, code: 'INSUFFICIENT_STOCK', message: expect.stringContaining('10 available') }],
    });
    expect(await sql(t.services, "SELECT count(*)::int AS n FROM inventory_reservations WHERE order_id = 'short-1'")).toEqual([{ n: 0 }]);
    expect(await products(t, [11, 12, 13, 14])).toEqual([11, 12, 13, 14].map((id) => ({ product_id: id, stock: 10, reserved: 0, version: 1 })));
    expect((await call(t.app, 'GET', '/api/v1/orders/short-1')).status).toBe(404);

    // Several failing lines, each with its own reason; a missing product is one of them.
    const many = await expectRefusedUnchanged(t, () => hold(t, 'short-2', {
      items: [{ product_id: 11, quantity: 11 }, { product_id: 999, quantity: 1 }, { product_id: 12, quantity: 1 }, { product_id: 15, quantity: 1 }],
    }), 409, 'ORDER_HOLD_REFUSED');
    expect((many.body.data as { lines: { product_id: number; code: string }[] }).lines.map(({ product_id, code }) => ({ product_id, code })))
      .toEqual([{ product_id: 11, code: 'INSUFFICIENT_STOCK' }, { product_id: 999, code: 'INVENTORY_NOT_FOUND' }, { product_id: 15, code: 'INVENTORY_LOCKED' }]);

    // The same order id, refused before, holds once the cart fits: a refusal keeps nothing of the order.
    const held = await hold(t, 'short-1', { items: [{ product_id: 13, quantity: 10 }, { product_id: 11, quantity: 2 }] });
    expect(held.status, JSON.stringify(held.body)).toBe(201);
    await finish(t, 'short-1', 'release');
  });

  it('holds every line, replays a retry, refuses other lines under the same order id', async ({ t }) => {
    for (const id of [21, 22, 23]) await createProduct(t.app, { product_id: id, stock: 50 });
    const items = [{ product_id: 23, quantity: 3 }, { product_id: 21, quantity: 1 }, { product_id: 22, quantity: 5 }];
    const first = await hold(t, 'cart-A', { items, ttl_seconds: 600, trace_id: 'trace-cart-A' });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const data = first.body.data;
    expect(data).toMatchObject({ order_id: 'cart-A', status: 'held', replayed: false });
    expect(data.lines.map(({ product_id, quantity, status }) => ({ product_id, quantity, status }))).toEqual([
      { product_id: 21, quantity: 1, status: 'pending' }, { product_id: 22, quantity: 5, status: 'pending' }, { product_id: 23, quantity: 3, status: 'pending' },
    ]);
    expect(Math.abs(Date.parse(data.expires_at) - Date.now() - 600_000)).toBeLessThan(10_000);
    expect(await products(t, [21, 22, 23])).toEqual([
      { product_id: 21, stock: 50, reserved: 1, version: 2 }, { product_id: 22, stock: 50, reserved: 5, version: 2 },
      { product_id: 23, stock: 50, reserved: 3, version: 2 },
    ]);
    expect(await logsOf(t, 'cart-A')).toEqual([
      { product_id: 21, op_type: 'reserve', delta: 0, reserved_delta: 1, before_stock: 50, after_stock: 50 },
      { product_id: 22, op_type: 'reserve', delta: 0, reserved_delta: 5, before_stock: 50, after_stock: 50 },
      { product_id: 23, op_type: 'reserve', delta: 0, reserved_delta: 3, before_stock: 50, after_stock: 50 },
    ]);
    expect(await sql(t.services, "SELECT count(*)::int AS n FROM inventory_logs WHERE trace_id = 'trace-cart-A'")).toEqual([{ n: 3 }]);
    expect([await redisAvailable(t, 21), await redisAvailable(t, 22), await redisAvailable(t, 23)]).toEqual([49, 45, 47]);

    // The same cart in another line order replays; nothing more is held.
    const again = await hold(t, 'cart-A', { items: [...items].reverse() });
    expect(again.status).toBe(200);
    expect(again.body.data).toMatchObject({ ...data, replayed: true });
    await expectRefusedUnchanged(t, () => hold(t, 'cart-A', { items: [{ product_id: 21, quantity: 2 }] }), 409, 'IDEMPOTENCY_CONFLICT');
    const read = await call<Hold>(t.app, 'GET', '/api/v1/orders/cart-A');
    expect(read.body.data).toEqual({ ...data, created_at: expect.any(String), updated_at: expect.any(String) });

    // A line is ended only with its order.
    await expectRefusedUnchanged(t, () => finishReservation(t.app, data.lines[0]!.reservation_id, 'confirm'), 409, 'RESERVATION_IN_ORDER');
    await expectRefusedUnchanged(t, () => finishReservation(t.app, data.lines[1]!.reservation_id, 'release'), 409, 'RESERVATION_IN_ORDER');
    // A single reserve of a product the order holds as a line is refused by the reservation's unique (product, order).
    await expectRefusedUnchanged(t, () => reserve(t.app, { product_id: 22, quantity: 1, order_id: 'cart-A' }), 409, 'RESERVATION_EXISTS');
  });

  it('confirms every line in one transaction; a retry replays; release and a second hold are then refused', async ({ t }) => {
    for (const id of [31, 32]) await createProduct(t.app, { product_id: id, stock: 20 });
    expect((await hold(t, 'cart-C', { items: [{ product_id: 31, quantity: 4 }, { product_id: 32, quantity: 6 }] })).status).toBe(201);
    const confirmed = await finish(t, 'cart-C', 'confirm');
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    expect(confirmed.body.data).toMatchObject({ status: 'confirmed', replayed: false });
    expect(confirmed.body.data.lines.map((line) => line.status)).toEqual(['confirmed', 'confirmed']);
    expect(await products(t, [31, 32])).toEqual([
      { product_id: 31, stock: 16, reserved: 0, version: 3 }, { product_id: 32, stock: 14, reserved: 0, version: 3 },
    ]);
    expect((await logsOf(t, 'cart-C')).filter((row) => row.op_type === 'confirm')).toEqual([
      { product_id: 31, op_type: 'confirm', delta: -4, reserved_delta: -4, before_stock: 20, after_stock: 16 },
      { product_id: 32, op_type: 'confirm', delta: -6, reserved_delta: -6, before_stock: 20, after_stock: 14 },
    ]);
    expect([await redisAvailable(t, 31), await redisAvailable(t, 32)]).toEqual([16, 14]);
    const retry = await finish(t, 'cart-C', 'confirm');
    expect(retry.status).toBe(200);
    expect(retry.body.data).toMatchObject({ status: 'confirmed', replayed: true });
    await expectRefusedUnchanged(t, () => finish(t, 'cart-C', 'release'), 409, 'ORDER_NOT_HELD');
    await expectRefusedUnchanged(t, () => finish(t, 'no-such-cart', 'confirm'), 404, 'ORDER_NOT_FOUND');
  });

  it('refuses a confirm while a line\'s product is locked, changing nothing; a release is never held up', async ({ t }) => {
    for (const id of [81, 82, 83]) await createProduct(t.app, { product_id: id, stock: 9 });
    expect((await hold(t, 'cart-K', { items: [{ product_id: 81, quantity: 1 }, { product_id: 82, quantity: 2 }] })).status).toBe(201);
    expect((await hold(t, 'cart-K2', { items: [{ product_id: 83, quantity: 3 }] })).status).toBe(201);
    const setStatus = async (productId: number, status: string) => {
      const version = (await call(t.app, 'GET', `/api/v1/inventory/${productId}`)).body.data.version;
      expect((await call(t.app, 'PUT', `/api/v1/inventory/${productId}`, { version, status })).status).toBe(200);
    };
    await setStatus(82, 'locked');
    await setStatus(83, 'inactive');
    const refused = await expectRefusedUnchanged(t, () => finish(t, 'cart-K', 'confirm'), 423, 'INVENTORY_LOCKED');
    expect(refused.body.message).toContain('Product 82');
    await expectRefusedUnchanged(t, () => finish(t, 'cart-K2', 'confirm'), 409, 'INVENTORY_INACTIVE');
    expect((await finish(t, 'cart-K2', 'release')).body.data).toMatchObject({ status: 'released' });
    await setStatus(82, 'active');
    expect((await finish(t, 'cart-K', 'confirm')).body.data).toMatchObject({ status: 'confirmed' });
    expect(await products(t, [81, 82, 83])).toEqual([
      { product_id: 81, stock: 8, reserved: 0, version: 3 }, { product_id: 82, stock: 7, reserved: 0, version: 5 },
      { product_id: 83, stock: 9, reserved: 0, version: 4 },
    ]);
  });

  it('releases every line; a retry replays; a confirm after it is refused', async ({ t }) => {
    for (const id of [41, 42]) await createProduct(t.app, { product_id: id, stock: 8 });
    expect((await hold(t, 'cart-R', { items: [{ product_id: 41, quantity: 8 }, { product_id: 42, quantity: 1 }] })).status).toBe(201);
    const released = await finish(t, 'cart-R', 'release');
    expect(released.body.data).toMatchObject({ status: 'released', replayed: false });
    expect(await products(t, [41, 42])).toEqual([
      { product_id: 41, stock: 8, reserved: 0, version: 3 }, { product_id: 42, stock: 8, reserved: 0, version: 3 },
    ]);
    expect((await logsOf(t, 'cart-R')).map((row) => row.op_type)).toEqual(['reserve', 'reserve', 'release', 'release']);
    expect([await redisAvailable(t, 41), await redisAvailable(t, 42)]).toEqual([8, 8]);
    expect((await finish(t, 'cart-R', 'release')).body.data).toMatchObject({ status: 'released', replayed: true });
    await expectRefusedUnchanged(t, () => finish(t, 'cart-R', 'confirm'), 409, 'ORDER_NOT_HELD');
  });

  it('expires every line of a due order together in the sweeper pass; a confirm after it is refused', async ({ t }) => {
    for (const id of [51, 52, 53]) await createProduct(t.app, { product_id: id, stock: 5 });
    expect((await hold(t, 'cart-E', { items: [51, 52, 53].map((id) => ({ product_id: id, quantity: 2 })), ttl_seconds: 600 })).status).toBe(201);
    // Due now, without waiting ten minutes: the row is moved back in time directly.
    await sql(t.services, "UPDATE order_holds SET expires_at = now() - interval '1 second' WHERE order_id = 'cart-E'");
    await expectRefusedUnchanged(t, () => finish(t, 'cart-E', 'confirm'), 409, 'ORDER_HOLD_EXPIRED');
    const pass = await t.services.sweeper.sweepOnce();
    expect(pass.ordersExpired).toBe(1);
    const read = await call<Hold>(t.app, 'GET', '/api/v1/orders/cart-E');
    expect(read.body.data.status).toBe('expired');
    expect(read.body.data.lines.map((line) => line.status)).toEqual(['expired', 'expired', 'expired']);
    expect(await products(t, [51, 52, 53])).toEqual([51, 52, 53].map((id) => ({ product_id: id, stock: 5, reserved: 0, version: 3 })));
    expect((await logsOf(t, 'cart-E')).map((row) => row.op_type)).toEqual(['reserve', 'reserve', 'reserve', 'release', 'release', 'release']);
    await expectRefusedUnchanged(t, () => finish(t, 'cart-E', 'confirm'), 409, 'ORDER_HOLD_EXPIRED');
    expect((await finish(t, 'cart-E', 'release')).body.data).toMatchObject({ status: 'expired', replayed: true });
    expect((await t.services.sweeper.sweepOnce()).ordersExpired).toBe(0);
  });

  it('leaves the lines of a held order to the order: the single-reservation sweep never expires one', async ({ t }) => {
    for (const id of [71, 72]) await createProduct(t.app, { product_id: id, stock: 5 });
    expect((await hold(t, 'cart-L', { items: [{ product_id: 71, quantity: 1 }, { product_id: 72, quantity: 1 }], ttl_seconds: 600 })).status).toBe(201);
    // The lines look due to the single-reservation sweep; the order is not due.
    await sql(t.services, "UPDATE inventory_reservations SET expires_at = now() - interval '1 second' WHERE order_id = 'cart-L'");
    expect(await t.services.sweeper.sweepOnce()).toEqual({ expired: 0, refused: 0, due: 0, ordersExpired: 0 });
    expect((await call<Hold>(t.app, 'GET', '/api/v1/orders/cart-L')).body.data.lines.map((line) => line.status)).toEqual(['pending', 'pending']);
    expect(await products(t, [71, 72])).toEqual([71, 72].map((id) => ({ product_id: id, stock: 5, reserved: 1, version: 2 })));
  });

  it('refuses a product listed twice, an empty cart and more than 100 lines with 400, changing nothing', async ({ t }) => {
    await createProduct(t.app, { product_id: 61, stock: 5 });
    const twice = await expectRefusedUnchanged(t, () => hold(t, 'bad-1', { items: [{ product_id: 61, quantity: 1 }, { product_id: 61, quantity: 2 }] }), 400, 'VALIDATION_ERROR');
    expect(twice.body.message).toMatch(/product 61 is listed twice/);
    await expectRefusedUnchanged(t, () => hold(t, 'bad-2', { items: [] }), 400, 'VALIDATION_ERROR');
    const lines = Array.from({ length: 101 }, (_, i) => ({ product_id: 1000 + i, quantity: 1 }));
    await expectRefusedUnchanged(t, () => hold(t, 'bad-3', { items: lines }), 400, 'VALIDATION_ERROR');
  });

  it('lets an order of exactly 100 lines hold', async ({ t }) => {
    for (let id = 2000; id < 2100; id += 1) await createProduct(t.app, { product_id: id, stock: 1 });
    const answer = await hold(t, 'big', { items: Array.from({ length: 100 }, (_, i) => ({ product_id: 2000 + i, quantity: 1 })) });
    expect(answer.status).toBe(201);
    expect(answer.body.data.lines).toHaveLength(100);
    expect(await sql(t.services, 'SELECT sum(reserved)::int AS r FROM inventories WHERE product_id BETWEEN 2000 AND 2099')).toEqual([{ r: 100 }]);
  });
});
