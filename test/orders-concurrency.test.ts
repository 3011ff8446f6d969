// Proves order holds stay exact under contention, on two instances sharing one database and Redis,
// mixed with single-product syncs through the engine's actors on the same products: 200 concurrent
// seeded carts over 20 products with scarce stock, half sent to each instance, while keyed syncs
// move the same products. Each cart is entirely held or entirely refused; every product's reserved
// equals the sum of its held lines and never exceeds stock; stock equals start plus the applied
// syncs; log rows are exact; Redis ends equal to PostgreSQL. Then every held cart is confirmed or
// released (again beside syncs) and the final stock is exact. A seed is printed on failure.
import { describe, expect } from 'vitest';
import { appTest } from './helpers/app-test.js';
import { createProduct, sql, sync, type TestApp } from './helpers/test-env.js';
import { call } from './helpers/api.js';
import { seededRandom, seedFromEnv } from './helpers/seeded-random.js';
import { pollUntil } from './helpers/wait.js';

const it = appTest({ engine: { shards: 2 }, reservations: { sweep_interval_ms: 3_600_000 } });

const productIds = Array.from({ length: 20 }, (_, i) => 100 + i);
const stockStart = 12;

interface Cart { orderId: string; lines: { product_id: number; quantity: number }[] }

describe('order holds under contention', () => {
  it('200 concurrent carts and keyed syncs on two instances: all-or-nothing, exact reserved, stock and Redis', async ({ t, peer }) => {
    const seed = seedFromEnv();
    const random = seededRandom(seed);
    const context = `seed ${seed}`;
    for (const id of productIds) await createProduct(t.app, { product_id: id, stock: stockStart });
    // Both instances' actors cache every product before the carts move them.
    for (const id of productIds) for (const app of [t, peer]) expect((await sync(app.app, { product_id: id, delta: 1 })).status).toBe(200);
    const start = stockStart + 2;

    const carts: Cart[] = Array.from({ length: 200 }, (_, c) => {
      const count = 1 + Math.floor(random() * 4);
      const chosen = new Set<number>();
      while (chosen.size < count) chosen.add(productIds[Math.floor(random() * productIds.length)]!);
      return { orderId: `cart-${seed}-${c}`, lines: [...chosen].map((id) => ({ product_id: id, quantity: 1 + Math.floor(random() * 3) })) };
    });
    const syncs = Array.from({ length: 200 }, (_, s) => ({
      key: `s-${seed}-${s}`, productId: productIds[Math.floor(random() * productIds.length)]!, delta: random() < 0.5 ? -1 : 2,
    }));
    const instance = (i: number): TestApp => (i % 2 === 0 ? t : peer);

    const holdAnswers = carts.map((cart, c) => call(instance(c).app, 'POST', `/api/v1/orders/${cart.orderId}/holds`, { items: cart.lines }));
    const syncAnswers = syncs.map((s, i) => sync(instance(i + 1).app, { product_id: s.productId, delta: s.delta, idempotency_key: s.key }));
    const held = await Promise.all(holdAnswers);
    const synced = await Promise.all(syncAnswers);

    const heldCarts = carts.filter((_, c) => held[c]!.status === 201);
    for (const [c, answer] of held.entries()) {
      expect([201, 409], `${context}: ${JSON.stringify(answer.body)}`).toContain(answer.status);
      if (answer.status === 409) expect(answer.body.code, context).toBe('ORDER_HOLD_REFUSED');
      const rows = await sql(t.services, 'SELECT count(*)::int AS n FROM inventory_reservations WHERE order_id = $1', [carts[c]!.orderId]);
      expect(rows[0]!.n, `${context}: ${carts[c]!.orderId}`).toBe(answer.status === 201 ? carts[c]!.lines.length : 0);
    }
    expect(heldCarts.length, context).toBeGreaterThan(0);
    expect(heldCarts.length, `${context}: stock is scarce, some carts must be refused`).toBeLessThan(carts.length);
    for (const answer of synced) expect([200, 409], `${context}: ${JSON.stringify(answer.body)}`).toContain(answer.status);

    const expectExact = async (holdsOpen: Cart[], stockMoves: Map<number, number>) => {
      const rows = await sql<{ product_id: number; stock: number; reserved: number; available: number }>(t.services,
        'SELECT product_id, stock, reserved, available FROM inventories WHERE product_id = ANY($1) ORDER BY product_id', [productIds]);
      for (const row of rows) {
        const reserved = holdsOpen.flatMap((cart) => cart.lines).filter((line) => line.product_id === row.product_id)
          .reduce((sum, line) => sum + line.quantity, 0);
        expect(row, context).toMatchObject({ reserved, stock: start + (stockMoves.get(row.product_id) ?? 0) });
        expect(row.reserved, context).toBeLessThanOrEqual(row.stock);
      }
      // The ledger agrees with every row: each log chain unbroken (ids drawn under the row locks) and summing to the row.
      for (const row of rows) {
        const verdict = await t.services.ledger.audit(row.product_id);
        expect({ product: row.product_id, agrees: verdict.agrees, problems: verdict.problems }, context)
          .toEqual({ product: row.product_id, agrees: true, problems: [] });
      }
      // Redis: every instance's after-commit writes are version-guarded, so the newest value wins.
      const redisValues = () => Promise.all(rows.map(async (row) => Number(await t.services.redis.get(t.services.keys.stock(row.product_id)))));
      expect(await pollUntil(redisValues, (values) => values.every((v, i) => v === rows[i]!.available)), context)
        .toEqual(rows.map((row) => row.available));
    };
    const applied = syncs.filter((_, i) => synced[i]!.status === 200);
    const moves = new Map<number, number>();
    for (const s of applied) moves.set(s.productId, (moves.get(s.productId) ?? 0) + s.delta);
    await expectExact(heldCarts, moves);
    const reserveLogs = await sql(t.services, "SELECT count(*)::int AS n FROM inventory_logs WHERE op_type = 'reserve'");
    expect(reserveLogs[0]!.n, context).toBe(heldCarts.reduce((sum, cart) => sum + cart.lines.length, 0));
    const syncLogs = await sql(t.services, "SELECT count(*)::int AS n FROM inventory_logs WHERE op_type IN ('add', 'deduct')");
    expect(syncLogs[0]!.n, context).toBe(applied.length + 2 * productIds.length);

    // Every held cart ends: even ones confirmed, odd ones released, on both instances, beside more syncs.
    const moreSyncs = productIds.map((id, i) => ({ key: `s2-${seed}-${i}`, productId: id, delta: 3 }));
    const ends = heldCarts.map((cart, c) => call(instance(c).app, 'POST', `/api/v1/orders/${cart.orderId}/${c % 2 === 0 ? 'confirm' : 'release'}`));
    const more = moreSyncs.map((s, i) => sync(instance(i).app, { product_id: s.productId, delta: s.delta, idempotency_key: s.key }));
    for (const answer of await Promise.all(ends)) expect(answer.status, `${context}: ${JSON.stringify(answer.body)}`).toBe(200);
    for (const answer of await Promise.all(more)) expect(answer.status, context).toBe(200);
    for (const s of moreSyncs) moves.set(s.productId, (moves.get(s.productId) ?? 0) + s.delta);
    for (const [c, cart] of heldCarts.entries()) {
      if (c % 2 !== 0) continue;
      for (const line of cart.lines) moves.set(line.product_id, (moves.get(line.product_id) ?? 0) - line.quantity);
    }
    await expectExact([], moves);
    const finalLogs = await sql<{ op_type: string; n: number }>(t.services,
      "SELECT op_type, count(*)::int AS n FROM inventory_logs WHERE op_type IN ('confirm', 'release') GROUP BY op_type ORDER BY op_type");
    const linesOf = (parity: number) => heldCarts.filter((_, c) => c % 2 === parity).reduce((sum, cart) => sum + cart.lines.length, 0);
    expect(finalLogs, context).toEqual([{ op_type: 'confirm', n: linesOf(0) }, { op_type: 'release', n: linesOf(1) }].filter((row) => row.n > 0));
    const orders = await sql<{ status: string; n: number }>(t.services, 'SELECT status, count(*)::int AS n FROM order_holds GROUP BY status ORDER BY status');
    expect(orders, context).toEqual([
      { status: 'confirmed', n: heldCarts.filter((_, c) => c % 2 === 0).length },
      { status: 'released', n: heldCarts.filter((_, c) => c % 2 === 1).length },
    ].filter((row) => row.n > 0));
  });
});
