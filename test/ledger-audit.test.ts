// Proves the audits find what was changed behind the service's back: products get a mixed
// history through the API (syncs, reservations confirmed and released, an operator update), then
// direct SQL edits a row's stock, a row's reserved, deletes a deduction row and a reserve row, and
// inserts a product with no history. GET …/audit names each problem (and the first chain break)
// while untouched products agree; a full audit run in worker threads reports exactly those
// products, with exact counts in the run and in /metrics.
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuditVerdict } from '../src/ledger/ledger-fold.js';
import { call, finishReservation, reserve } from './helpers/api.js';
import { parsePrometheusText, valueOf } from './helpers/prometheus-text.js';
import { createProduct, sql, sync, testConfig } from './helpers/test-env.js';
import { withTestApp } from './helpers/with-test-app.js';

const config = testConfig();
const t = withTestApp(config);
const products = 12;

async function audit(productId: number) {
  return call<AuditVerdict>(t.app, 'GET', `/api/v1/inventory/${productId}/audit`);
}

async function history(productId: number): Promise<void> {
  await createProduct(t.app, { product_id: productId, stock: 200 });
  for (let i = 0; i < 6; i += 1) expect((await sync(t.app, { product_id: productId, delta: -(i + 1), order_id: `o-${productId}-${i}` })).status).toBe(200);
  const kept = await reserve(t.app, { product_id: productId, quantity: 5, order_id: `keep-${productId}`, ttl_seconds: 3600 });
  const confirmed = await reserve(t.app, { product_id: productId, quantity: 3, order_id: `conf-${productId}`, ttl_seconds: 3600 });
  const released = await reserve(t.app, { product_id: productId, quantity: 2, order_id: `rel-${productId}`, ttl_seconds: 3600 });
  expect([kept.status, confirmed.status, released.status]).toEqual([201, 201, 201]);
  expect((await finishReservation(t.app, confirmed.body.data.reservation_id as number, 'confirm')).status).toBe(200);
  expect((await finishReservation(t.app, released.body.data.reservation_id as number, 'release')).status).toBe(200);
  const current = await call<{ version: number }>(t.app, 'GET', `/api/v1/inventory/${productId}`);
  expect((await call(t.app, 'PUT', `/api/v1/inventory/${productId}`, { version: current.body.data.version, stock: 150 })).status).toBe(200);
  expect((await sync(t.app, { product_id: productId, delta: 7 })).status).toBe(200);
}

const rowsPerProduct = 1 + 6 + 3 + 2 + 1 + 1; // init, syncs, reserves, confirm + release, update, restock

let deletedDeduction: { id: number; next: number; expected: number };

beforeAll(async () => {
  for (let productId = 1; productId <= products; productId += 1) await history(productId);
  // Behind the service's back:
  await sql(t.services, 'UPDATE inventories SET stock = stock + 5 WHERE product_id = 2');
  await sql(t.services, 'UPDATE inventories SET reserved = reserved + 1 WHERE product_id = 3');
  const rows = await sql<{ id: number; after_stock: number }>(t.services,
    `SELECT id, after_stock FROM inventory_logs WHERE product_id = 4 ORDER BY id`);
  deletedDeduction = { id: rows[3]!.id, next: rows[4]!.id, expected: rows[2]!.after_stock };
  await sql(t.services, 'DELETE FROM inventory_logs WHERE id = $1', [deletedDeduction.id]);
  await sql(t.services, `DELETE FROM inventory_logs WHERE product_id = 5 AND op_type = 'reserve' AND order_id = 'keep-5'`);
  await sql(t.services, `INSERT INTO inventories (product_id, product_name, stock) VALUES (99, 'made by hand', 10)`);
});

describe('product audit', () => {
  it('finds an untouched product in agreement, with every row checked', async () => {
    const answer = await audit(1);
    expect(answer.status).toBe(200);
    expect(answer.body.data).toMatchObject({
      product_id: 1, agrees: true, problems: [], row_agrees: true, chain_unbroken: true, first_break: null,
      rows_checked: rowsPerProduct, ledger: { stock: 157, reserved: 5 }, row: { stock: 157, reserved: 5 }, checkpoint: null,
    });
  });

  it('names a stock changed by direct SQL, and a reserved changed the same way', async () => {
    expect((await audit(2)).body.data).toMatchObject({
      agrees: false, problems: ['stock_differs'], row_agrees: false, chain_unbroken: true,
      ledger: { stock: 157, reserved: 5 }, row: { stock: 162, reserved: 5 },
    });
    expect((await audit(3)).body.data).toMatchObject({
      agrees: false, problems: ['reserved_differs'], chain_unbroken: true, ledger: { stock: 157, reserved: 5 }, row: { stock: 157, reserved: 6 },
    });
  });

  it('names the first break where a log row was deleted, and a deleted reserve row by its reserved', async () => {
    expect((await audit(4)).body.data).toMatchObject({
      agrees: false, problems: ['chain_break', 'stock_differs'], chain_unbroken: false, rows_checked: rowsPerProduct - 1,
      first_break: { log_id: deletedDeduction.next, expected_before_stock: deletedDeduction.expected, before_stock: deletedDeduction.expected - 3 },
      ledger: { stock: 160, reserved: 5 },
    });
    expect((await audit(5)).body.data).toMatchObject({
      agrees: false, problems: ['reserved_differs'], chain_unbroken: true, ledger: { stock: 157, reserved: 0 }, row: { stock: 157, reserved: 5 },
    });
  });

  it('names a product without history, and answers 404 for an unknown one', async () => {
    expect((await audit(99)).body.data).toMatchObject({ agrees: false, problems: ['no_history'], rows_checked: 0, row: { stock: 10, reserved: 0 } });
    const unknown = await audit(12345);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('INVENTORY_NOT_FOUND');
  });
});

describe('full audit run', () => {
  it('reports exactly the products that disagree, from worker threads', async () => {
    const [first, second] = await Promise.all([
      call<{ run_id: string; joined: boolean; status_url: string }>(t.app, 'POST', '/api/v1/ledger/audits'),
      call<{ run_id: string; joined: boolean }>(t.app, 'POST', '/api/v1/ledger/audits'),
    ]);
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.body.data.run_id).toBe(first.body.data.run_id);
    expect([first.body.data.joined, second.body.data.joined].sort()).toEqual([false, true]);

    type Report = { status: string; products: number; rows_scanned: number; disagreements: number; findings_kept: number;
      findings: { product_id: number; problems: string[]; first_break_log_id: number | null }[] };
    let report: Report | undefined;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const answer = await call<Report>(t.app, 'GET', first.body.data.status_url);
      expect(answer.status).toBe(200);
      if (answer.body.data.status !== 'running') { report = answer.body.data; break; }
      await sleep(50);
    }
    expect(report?.status).toBe('completed');
    const logRows = (await sql<{ n: number }>(t.services, 'SELECT count(*)::int AS n FROM inventory_logs'))[0]!.n;
    expect(report).toMatchObject({ products: products + 1, rows_scanned: logRows, disagreements: 5, findings_kept: 5 });
    expect(report!.findings.map((finding) => [finding.product_id, finding.problems])).toEqual([
      [2, ['stock_differs']], [3, ['reserved_differs']], [4, ['chain_break', 'stock_differs']], [5, ['reserved_differs']], [99, ['no_history']],
    ]);
    expect(report!.findings[2]!.first_break_log_id).toBe(deletedDeduction.next);

    const metrics = parsePrometheusText((await t.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(valueOf(metrics, 'inventory_ledger_audit_runs_total', { outcome: 'completed' })).toBe(1);
    expect(valueOf(metrics, 'inventory_ledger_audit_products_total')).toBe(products + 1);
    expect(valueOf(metrics, 'inventory_ledger_audit_rows_total')).toBe(logRows);
    expect(valueOf(metrics, 'inventory_ledger_audit_last_run_disagreements')).toBe(5);
    expect(valueOf(metrics, 'inventory_ledger_product_audits_total', { verdict: 'disagrees' })).toBe(5);
    expect(valueOf(metrics, 'inventory_ledger_product_audits_total', { verdict: 'agrees' })).toBe(1);
  });

  it('answers 404 for an unknown run and 400 for a malformed id', async () => {
    expect((await call(t.app, 'GET', '/api/v1/ledger/audits/00000000-0000-0000-0000-000000000000')).body.code).toBe('AUDIT_RUN_NOT_FOUND');
    expect((await call(t.app, 'GET', '/api/v1/ledger/audits/nope')).status).toBe(400);
  });
});
