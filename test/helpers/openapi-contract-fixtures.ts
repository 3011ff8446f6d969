/**
 * The contract test's data: the products, runs, diffs, alerts and audits its cases act on (made
 * once per file through the API, as a client would), the role tokens, and the small requests the
 * cases use to put things in the state they need (a pending reservation, a held order, ...).
 */
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { Operation } from './openapi-contract.js';
import { seedProducts, setRedisStock } from './reconcile-fixtures.js';
import type { TestApp } from './test-env.js';

export const tokens = { sync: 'contract-sync-token', operator: 'contract-operator-token', read: 'contract-read-token' };

/** Products of this file (ids no other fixture uses). */
export const product = {
  main: 930_001, locked: 930_002, scarce: 930_003, toLock: 930_005, scarce2: 930_006, orderToLock: 930_007,
  diff: 930_010, diff2: 930_011, lockedDiff: 930_012, missing: 939_999,
};
export const unknownRunId = '00000000-0000-4000-8000-000000000000';

export interface Fixtures { t: TestApp; runId: string; auditRunId: string; logId: number; lockedLogId: number }

export function tokenOf(operation: Operation): string | null {
  const scheme = Object.keys(operation.object.security?.[0] ?? {})[0];
  return scheme === undefined ? null : tokens[scheme.replace('Token', '') as keyof typeof tokens];
}

export async function send(app: FastifyInstance, method: 'GET' | 'POST' | 'PUT', url: string, role: keyof typeof tokens, body?: unknown) {
  const response = await app.inject({ method, url, headers: { authorization: `Bearer ${tokens[role]}` }, ...(body === undefined ? {} : { payload: body as object }) });
  return response.json() as { success: boolean; code?: string; data: Record<string, unknown> };
}

export async function versionOf(app: FastifyInstance, productId: number): Promise<number> {
  return (await send(app, 'GET', `/api/v1/inventory/${productId}`, 'read')).data.version as number;
}

let orderSequence = 0;
export async function reservationOf(app: FastifyInstance, productId: number): Promise<number> {
  orderSequence += 1;
  const answer = await send(app, 'POST', '/api/v1/reservations', 'sync', { product_id: productId, quantity: 1, order_id: `contract-r${orderSequence}` });
  expect(answer.success, JSON.stringify(answer)).toBe(true);
  return answer.data.reservation_id as number;
}

export async function finishedReservationOf(app: FastifyInstance, action: 'confirm' | 'release'): Promise<number> {
  const id = await reservationOf(app, product.main);
  expect((await send(app, 'POST', `/api/v1/reservations/${id}/${action}`, 'sync', {})).success).toBe(true);
  return id;
}

export function nextOrderId(): string {
  orderSequence += 1;
  return `contract-order-${orderSequence}`;
}

export async function heldOrderOf(app: FastifyInstance): Promise<string> {
  const orderId = nextOrderId();
  const answer = await send(app, 'POST', `/api/v1/orders/${orderId}/holds`, 'sync', { items: [{ product_id: product.main, quantity: 1 }] });
  expect(answer.success, JSON.stringify(answer)).toBe(true);
  return orderId;
}

export async function finishedOrderOf(app: FastifyInstance, action: 'confirm' | 'release'): Promise<string> {
  const orderId = await heldOrderOf(app);
  expect((await send(app, 'POST', `/api/v1/orders/${orderId}/${action}`, 'sync', {})).success).toBe(true);
  return orderId;
}

export async function pendingDiffOf(t: TestApp, products = [product.diff, product.diff2]): Promise<number> {
  const rows = await t.services.readPool.query<{ id: number }>(
    "SELECT id FROM inventory_diffs WHERE product_id = ANY($1) AND status = 'pending' ORDER BY id LIMIT 1", [products]);
  expect(rows.rows.length, 'a pending diff from the fixture run').toBe(1);
  return Number(rows.rows[0]!.id);
}

export async function closedDiffOf(t: TestApp): Promise<number> {
  const rows = await t.services.readPool.query<{ id: number }>("SELECT id FROM inventory_diffs WHERE status <> 'pending' ORDER BY id LIMIT 1");
  expect(rows.rows.length, 'a diff fixed by an earlier case').toBe(1);
  return Number(rows.rows[0]!.id);
}

export async function alertOf(t: TestApp, status: 'pending' | 'closed'): Promise<number> {
  const rows = await t.services.readPool.query<{ id: number }>(
    'SELECT id FROM inventory_alerts WHERE product_id = ANY($1) AND status = $2 ORDER BY id LIMIT 1', [[product.scarce, product.scarce2], status]);
  expect(rows.rows.length, `a ${status} alert of the scarce products`).toBe(1);
  return Number(rows.rows[0]!.id);
}

let fixtures: Promise<Fixtures> | null = null;

/** Products, log rows, a finished health run with a diff and an alert, and a ledger audit. */
export function fixturesOf(t: TestApp): Promise<Fixtures> {
  fixtures ??= (async () => {
    const create = (product_id: number, stock: number) => send(t.app, 'POST', '/api/v1/inventory', 'operator', { product_id, stock, min_stock: 2 });
    for (const id of [product.main, product.locked, product.toLock, product.orderToLock]) expect((await create(id, 100)).success).toBe(true);
    for (const id of [product.scarce, product.scarce2]) expect((await create(id, 1)).success).toBe(true);
    await send(t.app, 'POST', '/api/v1/sync-stock', 'sync', { product_id: product.main, delta: -1, order_id: 'contract-seed' });
    await send(t.app, 'POST', '/api/v1/sync-stock', 'sync', { product_id: product.locked, delta: 5 });
    await send(t.app, 'PUT', `/api/v1/inventory/${product.locked}`, 'operator', { version: await versionOf(t.app, product.locked), status: 'locked' });
    const firstRow = async (productId: number) => {
      const rows = await t.services.readPool.query<{ id: number }>('SELECT min(id) AS id FROM inventory_logs WHERE product_id = $1', [productId]);
      return Number(rows.rows[0]!.id);
    };
    // Three products whose Redis value the health check finds wrong: three pending diffs. One
    // product is then locked behind the service's back (its version unchanged, so its diff is not
    // stale): a use_redis fix meets the lock.
    await seedProducts(t.services, 3, { firstId: product.diff, stockOf: () => 100 });
    for (const id of [product.diff, product.diff2, product.lockedDiff]) await setRedisStock(t.services, id, 160);
    const run = await send(t.app, 'GET', '/api/v1/health/check', 'operator');
    expect(run.data.status, JSON.stringify(run)).toBe('completed');
    expect(run.data.diffs_found, JSON.stringify(run.data)).toBe(3);
    await t.services.readPool.query("UPDATE inventories SET status = 'locked' WHERE product_id = $1", [product.lockedDiff]);
    const alerts = await t.services.readPool.query(
      "SELECT id FROM inventory_alerts WHERE product_id = ANY($1) AND status = 'pending'", [[product.scarce, product.scarce2]]);
    expect(alerts.rows.length, 'the scarce products raised alerts').toBeGreaterThanOrEqual(2);
    const audit = await send(t.app, 'POST', '/api/v1/ledger/audits', 'operator');
    return {
      t, runId: run.data.run_id as string, auditRunId: audit.data.run_id as string,
      logId: await firstRow(product.main), lockedLogId: await firstRow(product.locked),
    };
  })();
  return fixtures;
}

