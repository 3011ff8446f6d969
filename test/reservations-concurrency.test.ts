// Proves reservations never oversell and end exactly once, across two instances on one database:
// 500 concurrent reserves against 300 available, then concurrent confirms, releases, duplicate
// expiries from two engines and two sweepers at once, and confirm-vs-release races, checked
// against exact stock, reserved, reservation states and log rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.js';
import { createProduct, dropDatabase, sql, startTestApp, testConfig, type TestApp } from './helpers/test-env.js';
import { finishReservation, reserve } from './helpers/api.js';

// The sweepers' timers stay quiet (one hour); the test runs their passes itself.
const config = testConfig({ reservations: { sweep_interval_ms: 3_600_000 } });
const productId = 7001;
let a: TestApp;
let b: TestApp;

beforeAll(async () => {
  a = await startTestApp(config);
  b = await startTestApp(config);
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await dropDatabase(config);
});

async function productRow() {
  const [row] = await sql<{ stock: number; reserved: number; available: number }>(
    a.services, 'SELECT stock, reserved, available FROM inventories WHERE product_id = $1', [productId]);
  return row!;
}

async function statusCounts(): Promise<Record<string, number>> {
  const rows = await sql<{ status: string; n: number }>(a.services,
    'SELECT status, count(*)::bigint AS n FROM inventory_reservations WHERE product_id = $1 GROUP BY status', [productId]);
  return Object.fromEntries(rows.map((row) => [row.status, row.n]));
}

async function makeDue(ids: number[]): Promise<void> {
  await sql(a.services, `UPDATE inventory_reservations SET expires_at = now() - interval '1 second' WHERE id = ANY($1::bigint[])`, [ids]);
}

describe('reservations under concurrency, two instances', () => {
  const pending: number[] = [];

  it('500 concurrent reservations against 300 available: exactly 300 pending, available 0', async () => {
    await createProduct(a.app, { product_id: productId, stock: 300 });
    const answers = await Promise.all(Array.from({ length: 500 }, (_, i) =>
      reserve(i % 2 === 0 ? a.app : b.app, { product_id: productId, quantity: 1, order_id: `order-${i}`, ttl_seconds: 600 })));
    const created = answers.filter((answer) => answer.status === 201);
    const refused = answers.filter((answer) => answer.status === 409);
    expect(created).toHaveLength(300);
    expect(refused).toHaveLength(200);
    expect(new Set(refused.map((answer) => answer.body.code))).toEqual(new Set(['INSUFFICIENT_STOCK']));
    pending.push(...created.map((answer) => answer.body.data.reservation_id as number));
    expect(new Set(pending).size).toBe(300);
    expect(await productRow()).toEqual({ stock: 300, reserved: 300, available: 0 });
    expect(await statusCounts()).toEqual({ pending: 300 });
    const [logs] = await sql<{ n: number; delta: number; reserved: number }>(a.services,
      `SELECT count(*)::bigint AS n, sum(delta)::bigint AS delta, sum(reserved_delta)::bigint AS reserved
         FROM inventory_logs WHERE product_id = $1 AND op_type = 'reserve'`, [productId]);
    expect(logs).toEqual({ n: 300, delta: 0, reserved: 300 });
  });

  it('confirming 100, releasing 100 and expiring 100 at once leaves stock and reserved exact', async () => {
    const toConfirm = pending.slice(0, 100);
    const toRelease = pending.slice(100, 200);
    const toExpireByDuplicates = pending.slice(200, 250);
    const toExpireBySweepers = pending.slice(250, 300);
    await makeDue([...toExpireByDuplicates, ...toExpireBySweepers]);

    // Both engines get an expire op for each of 50 reservations, as two sweepers that read the
    // same due rows would submit; both sweepers also run a pass over the other 50 at once.
    const expireOn = (app: TestApp, id: number) => app.services.engine.submit({
      kind: 'expire', productId, reservationId: id, reason: `reservation ${id} expired`, operator: 'test', traceId: null,
    }).then(() => 'expired', (error: unknown) => (error instanceof AppError ? error.code : String(error)));
    const [confirms, releases, duplicateExpiries, sweeps] = await Promise.all([
      Promise.all(toConfirm.map((id, i) => finishReservation(i % 2 === 0 ? a.app : b.app, id, 'confirm'))),
      Promise.all(toRelease.map((id, i) => finishReservation(i % 2 === 0 ? b.app : a.app, id, 'release', { reason: 'customer cancelled' }))),
      Promise.all(toExpireByDuplicates.flatMap((id) => [expireOn(a, id), expireOn(b, id)])),
      Promise.all([a.services.sweeper.sweepOnce(), b.services.sweeper.sweepOnce()]),
    ]);
    expect(confirms.map((answer) => answer.status)).toEqual(Array(100).fill(200));
    expect(releases.map((answer) => answer.status)).toEqual(Array(100).fill(200));
    expect(duplicateExpiries.filter((outcome) => outcome === 'expired')).toHaveLength(50);
    expect(duplicateExpiries.filter((outcome) => outcome === 'RESERVATION_NOT_PENDING')).toHaveLength(50);
    // The sweepers' passes may also have met some of the duplicate-submitted ones; together they
    // expired every reservation that was still pending when they reached it, and never one twice.
    const sweptExpired = sweeps[0]!.expired + sweeps[1]!.expired;
    const remaining = await statusCounts();
    expect(remaining.pending ?? 0).toBe(0);
    expect(remaining).toEqual({ confirmed: 100, released: 100, expired: 100 });
    expect(sweptExpired).toBeLessThanOrEqual(100);
    expect(await productRow()).toEqual({ stock: 200, reserved: 0, available: 200 });
  });

  it('confirm and release racing on one reservation from two instances: exactly one wins', async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) =>
      reserve(a.app, { product_id: productId, quantity: 2, order_id: `race-${i}` })));
    const ids = answers.map((answer) => answer.body.data.reservation_id as number);
    expect(await productRow()).toEqual({ stock: 200, reserved: 60, available: 140 });
    const races = await Promise.all(ids.map((id) => Promise.all([
      finishReservation(a.app, id, 'confirm'), finishReservation(b.app, id, 'release'),
    ])));
    let confirmed = 0;
    for (const [confirm, release] of races) {
      expect([confirm.status, release.status].sort()).toEqual([200, 409]);
      const loser = confirm.status === 409 ? confirm : release;
      expect(loser.body.code).toBe('RESERVATION_NOT_PENDING');
      if (confirm.status === 200) confirmed += 1;
    }
    expect(await productRow()).toEqual({ stock: 200 - 2 * confirmed, reserved: 0, available: 200 - 2 * confirmed });
  });

  it('log rows match: one per change, deltas summing to stock and reserved', async () => {
    const rows = await sql<{ op_type: string; expired: boolean; n: number; delta: number; reserved: number }>(a.services,
      `SELECT op_type, coalesce(reason LIKE '%expired', false) AS expired, count(*)::bigint AS n,
              sum(delta)::bigint AS delta, sum(reserved_delta)::bigint AS reserved
         FROM inventory_logs WHERE product_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`, [productId]);
    const byKind = Object.fromEntries(rows.map((row) => [`${row.op_type}${row.expired ? ':expired' : ''}`, row]));
    const raced = await statusCounts();
    const racedConfirms = raced.confirmed! - 100;
    const racedReleases = raced.released! - 100;
    expect(racedConfirms + racedReleases).toBe(30);
    expect(byKind.init).toMatchObject({ n: 1, delta: 300, reserved: 0 });
    expect(byKind.reserve).toMatchObject({ n: 330, delta: 0, reserved: 360 });
    expect(byKind.confirm).toMatchObject({ n: 100 + racedConfirms, delta: -(100 + 2 * racedConfirms) });
    expect(byKind.release).toMatchObject({ n: 100 + racedReleases, delta: 0, reserved: -(100 + 2 * racedReleases) });
    expect(byKind['release:expired']).toMatchObject({ n: 100, delta: 0, reserved: -100 });
    const [totals] = await sql<{ delta: number; reserved: number }>(a.services,
      'SELECT sum(delta)::bigint AS delta, sum(reserved_delta)::bigint AS reserved FROM inventory_logs WHERE product_id = $1', [productId]);
    const product = await productRow();
    expect(totals).toEqual({ delta: product.stock, reserved: product.reserved });
    // Every ended reservation points at its own log row, and no log row ends two.
    const [links] = await sql<{ ended: number; distinct_logs: number }>(a.services,
      `SELECT count(*)::bigint AS ended, count(DISTINCT final_log_id)::bigint AS distinct_logs
         FROM inventory_reservations WHERE product_id = $1 AND status <> 'pending'`, [productId]);
    expect(links).toEqual({ ended: 330, distinct_logs: 330 });
  });
});
