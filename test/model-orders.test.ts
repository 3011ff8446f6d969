/**
 * Model-based test of order holds beside the other changes of the same products: a seeded random
 * sequence of holds (new order ids, retries of the same cart, other carts under a used id, carts
 * with a missing product), confirms, releases, single syncs and status changes runs against the
 * API one at a time and against a small in-memory model of docs/orders.md; every status and code
 * (for a refused hold: every refused line and its code) must agree, and so must every product's
 * stock, reserved and version at the end, and the log rows of every order. Set TEST_SEED to
 * replay a failure (the seed is in the message).
 */
import { expect } from 'vitest';
import { call } from './helpers/api.js';
import { appTest } from './helpers/app-test.js';
import { createProduct, sql } from './helpers/test-env.js';
import { randomInt, seededRandom, seedFromEnv } from './helpers/seeded-random.js';

type Status = 'active' | 'inactive' | 'locked';
interface ModelProduct { stock: number; reserved: number; version: number; status: Status }
interface ModelOrder { lines: { product_id: number; quantity: number }[]; status: 'held' | 'confirmed' | 'released' }
interface Outcome { status: number; code?: string; refused?: [number, string][] }

const it = appTest({ engine: { shards: 2 }, reservations: { sweep_interval_ms: 3_600_000 } });
const productIds = [1, 2, 3, 4];
const missingProduct = 99;

it('matches the in-memory model over 400 seeded random commands', async ({ t }) => {
  const seed = seedFromEnv();
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[randomInt(random, 0, items.length - 1)]!;
  const products = new Map<number, ModelProduct>();
  const orders = new Map<string, ModelOrder>();
  for (const id of productIds) {
    await createProduct(t.app, { product_id: id, stock: 15 });
    products.set(id, { stock: 15, reserved: 0, version: 1, status: 'active' });
  }
  const statusRefusal = (id: number): [number, string] | null => {
    const status = products.get(id)!.status;
    return status === 'locked' ? [423, 'INVENTORY_LOCKED'] : status === 'inactive' ? [409, 'INVENTORY_INACTIVE'] : null;
  };
  const randomCart = () => {
    const chosen = productIds.filter(() => random() < 0.5);
    if (chosen.length === 0) chosen.push(pick(productIds));
    if (random() < 0.05) chosen.push(missingProduct);
    return chosen.map((id) => ({ product_id: id, quantity: randomInt(random, 1, 6) }));
  };

  for (let step = 0; step < 400; step += 1) {
    const context = `seed ${seed}, step ${step}`;
    const roll = random();
    let expected: Outcome;
    let actual: Outcome;
    if (roll < 0.35) {
      const used = [...orders.keys()];
      const reuse = used.length > 0 && random() < 0.3;
      const orderId = reuse ? pick(used) : `m-${step}`;
      const lines = reuse && random() < 0.6 ? orders.get(orderId)!.lines : randomCart();
      const fingerprint = (cart: { product_id: number; quantity: number }[]) =>
        [...cart].sort((a, b) => a.product_id - b.product_id).map((l) => `${l.product_id}x${l.quantity}`).join(',');
      const existing = orders.get(orderId);
      if (existing !== undefined) {
        expected = fingerprint(existing.lines) === fingerprint(lines) ? { status: 200 } : { status: 409, code: 'IDEMPOTENCY_CONFLICT' };
      } else {
        const refused: [number, string][] = [];
        for (const line of lines) {
          const product = products.get(line.product_id);
          const refusal = product === undefined ? 'INVENTORY_NOT_FOUND' : statusRefusal(line.product_id)?.[1]
            ?? (line.quantity > product.stock - product.reserved ? 'INSUFFICIENT_STOCK' : null);
          if (refusal !== null && refusal !== undefined) refused.push([line.product_id, refusal]);
        }
        if (refused.length > 0) {
          expected = { status: 409, code: 'ORDER_HOLD_REFUSED', refused };
        } else {
          for (const line of lines) {
            const product = products.get(line.product_id)!;
            product.reserved += line.quantity;
            product.version += 1;
          }
          orders.set(orderId, { lines, status: 'held' });
          expected = { status: 201 };
        }
      }
      const answer = await call<{ lines?: { product_id: number; code: string }[] }>(t.app, 'POST', `/api/v1/orders/${orderId}/holds`, { items: lines });
      actual = { status: answer.status, ...(answer.body.code ? { code: answer.body.code } : {}) };
      if (answer.body.code === 'ORDER_HOLD_REFUSED') actual.refused = answer.body.data.lines!.map((line) => [line.product_id, line.code]);
    } else if (roll < 0.6) {
      const verb = random() < 0.5 ? 'confirm' : 'release';
      const used = [...orders.keys()];
      const orderId = used.length > 0 && random() < 0.9 ? pick(used) : `never-${step}`;
      const order = orders.get(orderId);
      if (order === undefined) {
        expected = { status: 404, code: 'ORDER_NOT_FOUND' };
      } else if (order.status === (verb === 'confirm' ? 'confirmed' : 'released')) {
        expected = { status: 200 };
      } else if (order.status !== 'held') {
        expected = { status: 409, code: 'ORDER_NOT_HELD' };
      } else {
        const blocked = verb === 'confirm'
          ? [...order.lines].sort((a, b) => a.product_id - b.product_id).map((line) => statusRefusal(line.product_id)).find((r) => r !== null)
          : undefined;
        if (blocked !== undefined && blocked !== null) {
          expected = { status: blocked[0], code: blocked[1] };
        } else {
          for (const line of order.lines) {
            const product = products.get(line.product_id)!;
            if (verb === 'confirm') product.stock -= line.quantity;
            product.reserved -= line.quantity;
            product.version += 1;
          }
          order.status = verb === 'confirm' ? 'confirmed' : 'released';
          expected = { status: 200 };
        }
      }
      const answer = await call(t.app, 'POST', `/api/v1/orders/${orderId}/${verb}`);
      actual = { status: answer.status, ...(answer.body.code ? { code: answer.body.code } : {}) };
    } else if (roll < 0.9) {
      const productId = pick(productIds);
      const product = products.get(productId)!;
      const delta = random() < 0.6 ? -randomInt(random, 1, 5) : randomInt(random, 1, 8);
      const refusal = statusRefusal(productId);
      if (refusal !== null) expected = { status: refusal[0], code: refusal[1] };
      else if (delta < 0 && product.stock - product.reserved + delta < 0) expected = { status: 409, code: 'INSUFFICIENT_STOCK' };
      else {
        product.stock += delta;
        product.version += 1;
        expected = { status: 200 };
      }
      const answer = await call(t.app, 'POST', '/api/v1/sync-stock', { product_id: productId, delta });
      actual = { status: answer.status, ...(answer.body.code ? { code: answer.body.code } : {}) };
    } else {
      const productId = pick(productIds);
      const product = products.get(productId)!;
      const status = pick<Status>(['active', 'active', 'locked', 'inactive']);
      product.status = status;
      product.version += 1;
      expected = { status: 200 };
      const answer = await call(t.app, 'PUT', `/api/v1/inventory/${productId}`, { version: product.version - 1, status });
      actual = { status: answer.status, ...(answer.body.code ? { code: answer.body.code } : {}) };
    }
    expect(actual, context).toEqual(expected);
  }

  const rows = await sql(t.services, 'SELECT product_id, stock, reserved, version, status FROM inventories ORDER BY product_id');
  expect(rows, `seed ${seed}`).toEqual(productIds.map((id) => ({ product_id: id, ...products.get(id)! })));
  const logs = await sql<{ order_id: string; op_type: string; n: number }>(t.services,
    `SELECT order_id, op_type, count(*)::int AS n FROM inventory_logs WHERE order_id IS NOT NULL GROUP BY order_id, op_type`);
  const expectedLogs = [...orders.entries()].flatMap(([orderId, order]) => [
    ...(order.status === 'confirmed' ? [{ order_id: orderId, op_type: 'confirm', n: order.lines.length }] : []),
    ...(order.status === 'released' ? [{ order_id: orderId, op_type: 'release', n: order.lines.length }] : []),
    { order_id: orderId, op_type: 'reserve', n: order.lines.length },
  ]);
  // Sorted here, not by PostgreSQL's collation.
  const byKey = (a: { order_id: string; op_type: string }, b: { order_id: string; op_type: string }) =>
    (a.order_id < b.order_id ? -1 : a.order_id > b.order_id ? 1 : a.op_type < b.op_type ? -1 : 1);
  expect([...logs].sort(byKey), `seed ${seed}`).toEqual(expectedLogs.sort(byKey));
  // Proves the generator exercises holds, not how many: over 13 seeds 9 to 32 orders were held,
  // and a bound of 10 failed on a CI run (seed 163540551 held 9).
  expect(orders.size, `seed ${seed}: the sequence must hold some orders`).toBeGreaterThanOrEqual(3);
});
