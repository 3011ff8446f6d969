// Proves the reservation lifecycle and its refusals: a real TTL expiry by the sweeper's timer,
// idempotency by order_id, status rules, and that every bad request (ids out of range, bad
// quantities, TTL out of bounds, unknown / expired / already-final reservations) is a 4xx with its
// code and changes nothing (product row, reservations and log rows compared before and after).
import { describe, expect } from 'vitest';
import { appTest } from './helpers/app-test.js';
import { createProduct, sql, sync, type TestApp } from './helpers/test-env.js';
import { call, expectRefusedUnchanged as expectRefused, finishReservation, reserve } from './helpers/api.js';
import { pollUntil } from './helpers/wait.js';

const reservations = { ttl_seconds_max: 3600, sweep_batch_max: 3 };
// The sweeper's timer stays quiet (one hour) here: tests run its passes themselves, so a
// reservation they make due stays pending until they sweep, whatever ran before.
const it = appTest({ reservations: { ...reservations, sweep_interval_ms: 3_600_000 } });
// Only the TTL test waits for the timer, on an app of its own.
const timerIt = appTest({ reservations: { ...reservations, sweep_interval_ms: 100 } });
it.beforeAll(async ({ t }) => { await createProduct(t.app, { product_id: 1, stock: 100 }); });
timerIt.beforeAll(async ({ t }) => { await createProduct(t.app, { product_id: 1, stock: 100 }); });

async function snapshot(t: TestApp) {
  return {
    products: await sql(t.services, 'SELECT product_id, stock, reserved, version, status FROM inventories ORDER BY product_id'),
    reservations: await sql(t.services, 'SELECT id, status, quantity FROM inventory_reservations ORDER BY id'),
    logs: (await sql(t.services, 'SELECT count(*)::bigint AS n FROM inventory_logs'))[0],
  };
}

/** Asserts the request is refused with `status`/`code` and that nothing in the database moved. */
function expectRefusedUnchanged(t: TestApp, request: () => ReturnType<typeof call>, status: number, code: string) {
  return expectRefused(() => snapshot(t), request, status, code);
}

async function pendingReservation(t: TestApp, orderId: string, quantity = 1, ttlSeconds = 600, productId = 1): Promise<number> {
  const answer = await reserve(t.app, { product_id: productId, quantity, order_id: orderId, ttl_seconds: ttlSeconds });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body.data.reservation_id as number;
}

describe('reservation lifecycle', () => {
  timerIt('expires a reservation after its TTL through the sweeper timer, logged as a release', async ({ t }) => {
    const id = await pendingReservation(t, 'ttl-1', 5, 1);
    const status = async () => (await call(t.app, 'GET', `/api/v1/reservations/${id}`)).body.data.status;
    expect(await status()).toBe('pending');
    expect(await pollUntil(status, (now) => now === 'expired', { timeoutMs: 5000, intervalMs: 50 })).toBe('expired');
    const inventory = (await call(t.app, 'GET', '/api/v1/inventory/1')).body.data;
    expect(inventory).toMatchObject({ stock: 100, reserved: 0, available: 100 });
    const logs = await sql(t.services, "SELECT op_type, delta, reserved_delta, reason FROM inventory_logs WHERE order_id = 'ttl-1' ORDER BY id");
    expect(logs).toEqual([
      { op_type: 'reserve', delta: 0, reserved_delta: 5, reason: null },
      { op_type: 'release', delta: 0, reserved_delta: -5, reason: `reservation ${id} expired` },
    ]);
  });

  it('is idempotent by order_id: a retry returns the same reservation, a different quantity is a conflict', async ({ t }) => {
    // A product of its own, so the stock figures below hold whatever ran before.
    await createProduct(t.app, { product_id: 5, stock: 100 });
    const first = await reserve(t.app, { product_id: 5, quantity: 3, order_id: 'idem-1' });
    expect(first.status).toBe(201);
    const again = await reserve(t.app, { product_id: 5, quantity: 3, order_id: 'idem-1' });
    expect(again.status).toBe(200);
    expect(again.body.data).toMatchObject({ reservation_id: first.body.data.reservation_id, replayed: true, reserved: 3 });
    await expectRefusedUnchanged(t, () => reserve(t.app, { product_id: 5, quantity: 4, order_id: 'idem-1' }), 409, 'IDEMPOTENCY_CONFLICT');
    const confirmed = await finishReservation(t.app, first.body.data.reservation_id as number, 'confirm');
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.data).toMatchObject({ status: 'confirmed', stock: 97, reserved: 0, available: 97 });
    // The order's reservation is final; reserving again under its id replays it rather than holding more.
    const afterFinal = await reserve(t.app, { product_id: 5, quantity: 3, order_id: 'idem-1' });
    expect(afterFinal.body.data).toMatchObject({ replayed: true, status: 'confirmed' });
    expect((await call(t.app, 'GET', '/api/v1/inventory/5')).body.data).toMatchObject({ stock: 97, reserved: 0 });
  });

  it('refuses bad reserve requests with 400 and nothing changed', async ({ t }) => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ product_id: 0, quantity: 1, order_id: 'b' }, /product_id/],
      [{ product_id: 2 ** 53, quantity: 1, order_id: 'b' }, /product_id/],
      [{ product_id: 1, quantity: 0, order_id: 'b' }, /quantity must be at least 1/],
      [{ product_id: 1, quantity: -5, order_id: 'b' }, /quantity/],
      [{ product_id: 1, quantity: t.config.inventory.max_delta + 1, order_id: 'b' }, /quantity must be at most/],
      [{ product_id: 1, quantity: 1.5, order_id: 'b' }, /quantity must be an integer/],
      [{ product_id: 1, quantity: '1', order_id: 'b' }, /quantity/],
      [{ product_id: 1, quantity: 1 }, /order_id is required/],
      [{ product_id: 1, quantity: 1, order_id: '' }, /order_id/],
      [{ product_id: 1, quantity: 1, order_id: 'b', ttl_seconds: 0 }, /ttl_seconds must be at least 1/],
      [{ product_id: 1, quantity: 1, order_id: 'b', ttl_seconds: 3601 }, /ttl_seconds must be at most 3600/],
      [{ product_id: 1, quantity: 1, order_id: 'b', colour: 'red' }, /colour is not a known field/],
    ];
    for (const [body, message] of bad) {
      const before = await snapshot(t);
      const answer = await reserve(t.app, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.code).toBe('VALIDATION_ERROR');
      expect(answer.body.message).toMatch(message);
      expect(await snapshot(t)).toEqual(before);
    }
  });

  it('refuses reserves the product cannot cover or does not allow, with nothing changed', async ({ t }) => {
    await expectRefusedUnchanged(t, () => reserve(t.app, { product_id: 999, quantity: 1, order_id: 'nf' }), 404, 'INVENTORY_NOT_FOUND');
    // More than product 1 ever holds (100, less whatever other tests took).
    await expectRefusedUnchanged(t, () => reserve(t.app, { product_id: 1, quantity: 101, order_id: 'big' }), 409, 'INSUFFICIENT_STOCK');
    await createProduct(t.app, { product_id: 2, stock: 10, status: 'locked' });
    await createProduct(t.app, { product_id: 3, stock: 10, status: 'inactive' });
    await expectRefusedUnchanged(t, () => reserve(t.app, { product_id: 2, quantity: 1, order_id: 'l' }), 423, 'INVENTORY_LOCKED');
    await expectRefusedUnchanged(t, () => reserve(t.app, { product_id: 3, quantity: 1, order_id: 'i' }), 409, 'INVENTORY_INACTIVE');
  });

  it('refuses confirm / release of unknown, out-of-range, final and expired reservations, with nothing changed', async ({ t }) => {
    for (const action of ['confirm', 'release'] as const) {
      await expectRefusedUnchanged(t, () => finishReservation(t.app, 987654, action), 404, 'RESERVATION_NOT_FOUND');
      await expectRefusedUnchanged(t, () => call(t.app, 'POST', `/api/v1/reservations/0/${action}`), 400, 'VALIDATION_ERROR');
      await expectRefusedUnchanged(t, () => call(t.app, 'POST', `/api/v1/reservations/${2 ** 53}/${action}`), 400, 'VALIDATION_ERROR');
      await expectRefusedUnchanged(t, () => call(t.app, 'POST', `/api/v1/reservations/abc/${action}`), 400, 'VALIDATION_ERROR');
    }
    const released = await pendingReservation(t, 'final-1');
    expect((await finishReservation(t.app, released, 'release', { reason: 'cancelled', operator: 'alice' })).status).toBe(200);
    await expectRefusedUnchanged(t, () => finishReservation(t.app, released, 'release'), 409, 'RESERVATION_NOT_PENDING');
    await expectRefusedUnchanged(t, () => finishReservation(t.app, released, 'confirm'), 409, 'RESERVATION_NOT_PENDING');

    const confirmed = await pendingReservation(t, 'final-2');
    expect((await finishReservation(t.app, confirmed, 'confirm')).status).toBe(200);
    await expectRefusedUnchanged(t, () => finishReservation(t.app, confirmed, 'confirm'), 409, 'RESERVATION_NOT_PENDING');
    await expectRefusedUnchanged(t, () => finishReservation(t.app, confirmed, 'release'), 409, 'RESERVATION_NOT_PENDING');

    const expired = await pendingReservation(t, 'expired-1');
    await sql(t.services, "UPDATE inventory_reservations SET expires_at = now() - interval '1 second' WHERE id = $1", [expired]);
    expect((await t.services.sweeper.sweepOnce()).expired).toBe(1);
    await expectRefusedUnchanged(t, () => finishReservation(t.app, expired, 'confirm'), 409, 'RESERVATION_NOT_PENDING');

    // Past its expiry but not yet swept: refused as expired (this app's sweeper timer is quiet, so
    // the reservation stays pending until the explicit pass below).
    const overdue = await pendingReservation(t, 'overdue-1');
    await sql(t.services, "UPDATE inventory_reservations SET expires_at = now() - interval '1 second' WHERE id = $1", [overdue]);
    await expectRefusedUnchanged(t, () => finishReservation(t.app, overdue, 'confirm'), 409, 'RESERVATION_EXPIRED');
    await expectRefusedUnchanged(t, () => finishReservation(t.app, overdue, 'release'), 409, 'RESERVATION_EXPIRED');
    await expectRefusedUnchanged(t, () => finishReservation(t.app, overdue, 'confirm', { colour: 'red' }), 400, 'VALIDATION_ERROR');
    expect((await t.services.sweeper.sweepOnce()).expired).toBe(1);
    await expectRefusedUnchanged(t, () => finishReservation(t.app, overdue, 'confirm'), 409, 'RESERVATION_NOT_PENDING');
  });

  it('sweeps in bounded batches of reservations.sweep_batch_max, oldest first', async ({ t }) => {
    const ids: number[] = [];
    for (let i = 0; i < 7; i += 1) ids.push(await pendingReservation(t, `batch-${i}`));
    await sql(t.services, `UPDATE inventory_reservations SET expires_at = now() - (interval '1 minute' * (10 - id % 10))
                            WHERE id = ANY($1::bigint[])`, [ids]);
    const passes = [await t.services.sweeper.sweepOnce(), await t.services.sweeper.sweepOnce(), await t.services.sweeper.sweepOnce()];
    expect(passes).toEqual([{ expired: 3, refused: 0, due: 3 }, { expired: 3, refused: 0, due: 3 }, { expired: 1, refused: 0, due: 1 }]
      .map((pass) => ({ ...pass, ordersExpired: 0 })));
    expect(await t.services.sweeper.sweepOnce()).toEqual({ expired: 0, refused: 0, due: 0, ordersExpired: 0 });
  });

  it('applies status rules: locked refuses confirm (423) but lets a release free the stock', async ({ t }) => {
    // A product of its own: locking product 1 would refuse the other tests' reservations.
    await createProduct(t.app, { product_id: 4, stock: 100 });
    const toConfirm = await pendingReservation(t, 'lock-1', 2, 600, 4);
    const toRelease = await pendingReservation(t, 'lock-2', 2, 600, 4);
    const { version } = (await call(t.app, 'GET', '/api/v1/inventory/4')).body.data as { version: number };
    expect((await call(t.app, 'PUT', '/api/v1/inventory/4', { version, status: 'locked' })).status).toBe(200);
    await expectRefusedUnchanged(t, () => finishReservation(t.app, toConfirm, 'confirm'), 423, 'INVENTORY_LOCKED');
    await expectRefusedUnchanged(t, () => sync(t.app, { product_id: 4, delta: -1 }), 423, 'INVENTORY_LOCKED');
    expect((await finishReservation(t.app, toRelease, 'release')).status).toBe(200);
    expect((await call(t.app, 'GET', `/api/v1/reservations/${toRelease}`)).body.data.status).toBe('released');
  });
});
