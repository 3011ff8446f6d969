/**
 * Model-based test: a seeded random sequence of syncs (with and without keys), reservations,
 * confirms, releases and versioned updates runs against the API one at a time and against a small
 * in-memory model of the contract's rules; every status, code and stock figure must agree, and so
 * must the final rows and log count. Set TEST_SEED to replay a failure (the seed is in the message).
 */
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { call } from './helpers/api.js';
import { appTest } from './helpers/app-test.js';
import { createProduct, sql } from './helpers/test-env.js';
import { randomInt, seededRandom, seedFromEnv } from './helpers/seeded-random.js';

type Status = 'active' | 'inactive' | 'locked';
interface ModelProduct { stock: number; reserved: number; version: number; status: Status; maxStock: number }
interface ModelReservation { productId: number; quantity: number; status: 'pending' | 'confirmed' | 'released' }
interface Outcome { status: number; code?: string; data?: Record<string, unknown> }

const it = appTest({ engine: { shards: 2 } });

/** The answer as the model states it: status, and the code of a refusal or the data of a success. */
async function outcome(app: FastifyInstance, method: 'POST' | 'PUT', url: string, payload: object): Promise<Outcome> {
  const { status, body } = await call(app, method, url, payload);
  return { status, ...(body.code ? { code: body.code } : {}), ...(body.success ? { data: body.data } : {}) };
}

class Model {
  readonly products = new Map<number, ModelProduct>();
  readonly reservations = new Map<number, ModelReservation>();
  readonly firstResults = new Map<string, { payload: number; data: Record<string, unknown> }>();
  appliedChanges = 0;

  statusRefusal(product: ModelProduct): Outcome | null {
    if (product.status === 'locked') return { status: 423, code: 'INVENTORY_LOCKED' };
    if (product.status === 'inactive') return { status: 409, code: 'INVENTORY_INACTIVE' };
    return null;
  }

  replay(key: string | null, payload: number, replayStatus: number): Outcome | null {
    const first = key === null ? undefined : this.firstResults.get(key);
    if (first === undefined) return null;
    return first.payload === payload ? { status: replayStatus, data: { ...first.data, replayed: true } } : { status: 409, code: 'IDEMPOTENCY_CONFLICT' };
  }

  applied(product: ModelProduct): void {
    product.version += 1;
    this.appliedChanges += 1;
  }

  figures(product: ModelProduct) {
    return { stock: product.stock, reserved: product.reserved, available: product.stock - product.reserved, version: product.version };
  }
}

it('matches the in-memory model over 600 seeded random commands', async ({ t }) => {
  const seed = seedFromEnv();
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[randomInt(random, 0, items.length - 1)]!;
  const model = new Model();
  for (const [productId, maxStock] of [[1, 0], [2, 0], [3, 40]] as const) {
    await createProduct(t.app, { product_id: productId, stock: 20, max_stock: maxStock });
    model.products.set(productId, { stock: 20, reserved: 0, version: 1, status: 'active', maxStock });
  }

  for (let step = 0; step < 600; step += 1) {
    const context = `seed ${seed}, step ${step}`;
    const productId = pick([1, 2, 3]);
    const product = model.products.get(productId)!;
    const roll = random();
    let expected: Outcome;
    let actual: Outcome;
    if (roll < 0.4) {
      const delta = pick([-6, -4, -2, -1, -1, 1, 2, 4]);
      const keyKind = random();
      const order = keyKind < 0.4 ? `o${randomInt(random, 1, 8)}` : null;
      const idempotencyKey = order === null && keyKind < 0.5 ? `k${randomInt(random, 1, 4)}` : null;
      const key = order !== null ? `${productId}:o:${delta < 0 ? 'deduct' : 'add'}:${order}` : idempotencyKey !== null ? `${productId}:k:${idempotencyKey}` : null;
      actual = await outcome(t.app, 'POST', '/api/v1/sync-stock', { product_id: productId, delta, ...(order ? { order_id: order } : {}), ...(idempotencyKey ? { idempotency_key: idempotencyKey } : {}) });
      const available = product.stock - product.reserved;
      expected = model.replay(key, delta, 200) ?? model.statusRefusal(product)
        ?? (delta < 0 && available + delta < 0 ? { status: 409, code: 'INSUFFICIENT_STOCK' } : null)
        ?? (delta > 0 && product.maxStock > 0 && product.stock + delta > product.maxStock ? { status: 409, code: 'MAX_STOCK_EXCEEDED' } : null)
        ?? (() => {
          const before = product.stock;
          product.stock += delta;
          model.applied(product);
          const data = { product_id: productId, delta, before_stock: before, after_stock: product.stock, ...model.figures(product), replayed: false };
          if (key !== null) model.firstResults.set(key, { payload: delta, data });
          return { status: 200, data };
        })();
    } else if (roll < 0.6) {
      const quantity = randomInt(random, 1, 5);
      const order = `r${randomInt(random, 1, 12)}`;
      const key = `${productId}:reserve:${order}`;
      actual = await outcome(t.app, 'POST', '/api/v1/reservations', { product_id: productId, quantity, order_id: order, ttl_seconds: 3600 });
      // A replayed reservation shows its stock figures as first answered, and its status as it is now.
      const replayed = model.replay(key, quantity, 200);
      if (replayed?.data !== undefined) replayed.data.status = model.reservations.get(replayed.data.reservation_id as number)!.status;
      expected = replayed ?? model.statusRefusal(product)
        ?? (quantity > product.stock - product.reserved ? { status: 409, code: 'INSUFFICIENT_STOCK' } : null)
        ?? (() => {
          product.reserved += quantity;
          model.applied(product);
          const reservationId = actual.data?.reservation_id as number;
          model.reservations.set(reservationId, { productId, quantity, status: 'pending' });
          const data = { reservation_id: reservationId, product_id: productId, quantity, status: 'pending', ...model.figures(product), replayed: false };
          model.firstResults.set(key, { payload: quantity, data });
          return { status: 201, data };
        })();
    } else if (roll < 0.85) {
      const verb = random() < 0.6 ? 'confirm' : 'release';
      const known = [...model.reservations.keys()];
      const reservationId = known.length > 0 && random() < 0.9 ? pick(known) : 999_999;
      actual = await outcome(t.app, 'POST', `/api/v1/reservations/${reservationId}/${verb}`, {});
      const reservation = model.reservations.get(reservationId);
      const owner = reservation === undefined ? undefined : model.products.get(reservation.productId)!;
      expected = reservation === undefined || owner === undefined ? { status: 404, code: 'RESERVATION_NOT_FOUND' }
        : (verb === 'confirm' ? model.statusRefusal(owner) : null)
          ?? (reservation.status !== 'pending' ? { status: 409, code: 'RESERVATION_NOT_PENDING' } : null)
          ?? (() => {
            if (verb === 'confirm') owner.stock -= reservation.quantity;
            owner.reserved -= reservation.quantity;
            reservation.status = verb === 'confirm' ? 'confirmed' : 'released';
            model.applied(owner);
            return { status: 200, data: { reservation_id: reservationId, status: reservation.status, ...model.figures(owner), replayed: false } };
          })();
    } else {
      const stale = random() < 0.2 && product.version > 1;
      const version = product.version - (stale ? 1 : 0);
      const status = random() < 0.5 ? pick<Status>(['active', 'active', 'locked', 'inactive']) : undefined;
      const stock = random() < 0.3 ? randomInt(random, 0, 40) : undefined;
      actual = await outcome(t.app, 'PUT', `/api/v1/inventory/${productId}`, { version, ...(status ? { status } : {}), ...(stock !== undefined ? { stock } : {}) });
      const stockChanges = stock !== undefined && stock !== product.stock;
      expected = (status === undefined && stock === undefined ? { status: 400, code: 'VALIDATION_ERROR' } : null)
        ?? (stale ? { status: 409, code: 'VERSION_CONFLICT' } : null)
        ?? (stockChanges ? model.statusRefusal(product) : null)
        ?? (stockChanges && stock! < product.reserved ? { status: 409, code: 'INSUFFICIENT_STOCK' } : null)
        ?? (stockChanges && product.maxStock > 0 && stock! > product.maxStock ? { status: 409, code: 'MAX_STOCK_EXCEEDED' } : null)
        ?? (() => {
          if (stock !== undefined) product.stock = stock;
          if (status !== undefined) product.status = status;
          model.applied(product);
          return { status: 200, data: { product_id: productId, status: product.status, ...model.figures(product) } };
        })();
    }
    expect({ status: actual.status, code: actual.code }, context).toEqual({ status: expected.status, code: expected.code });
    if (expected.data !== undefined) expect(actual.data, context).toMatchObject(expected.data);
  }

  for (const [productId, product] of model.products) {
    const [row] = await sql(t.services, 'SELECT stock, reserved, version, status FROM inventories WHERE product_id = $1', [productId]);
    expect(row, `seed ${seed}`).toEqual({ stock: product.stock, reserved: product.reserved, version: product.version, status: product.status });
  }
  const rows = await sql(t.services, 'SELECT id, status FROM inventory_reservations');
  expect(new Map(rows.map((r) => [r.id, r.status])), `seed ${seed}`).toEqual(new Map([...model.reservations].map(([id, r]) => [id, r.status])));
  const [logs] = await sql(t.services, `SELECT count(*)::int AS n FROM inventory_logs WHERE op_type <> 'init'`);
  expect(logs!.n, `seed ${seed}`).toBe(model.appliedChanges);
});
