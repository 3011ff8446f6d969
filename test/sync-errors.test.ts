/**
 * Proves each sync refusal of the contract: the status, the code, a message naming the problem,
 * and that nothing was written for it (stock, version and log rows unchanged).
 */
import { describe, expect } from 'vitest';
import { expectRefusedUnchanged } from './helpers/api.js';
import { appTest } from './helpers/app-test.js';
import { createProduct, sql, sync, type TestApp } from './helpers/test-env.js';

const it = appTest();

async function snapshot(t: TestApp, productId: number) {
  const [row] = await sql(t.services, 'SELECT stock, reserved, version FROM inventories WHERE product_id = $1', [productId]);
  const [logs] = await sql(t.services, 'SELECT count(*)::int AS n FROM inventory_logs WHERE product_id = $1', [productId]);
  return { row, logs: logs!.n };
}

async function expectRefusal(t: TestApp, body: Record<string, unknown>, status: number, code: string, messagePart: string) {
  const productId = typeof body.product_id === 'number' ? body.product_id : 0;
  const answer = await expectRefusedUnchanged(() => snapshot(t, productId), () => sync(t.app, body), status, code);
  expect(answer.body.data).toBeNull();
  expect(answer.body.message).toContain(messagePart);
}

describe('sync refusals', () => {
  it('404 INVENTORY_NOT_FOUND: sync never creates a product', async ({ t }) => {
    await expectRefusal(t, { product_id: 999, delta: 5 }, 404, 'INVENTORY_NOT_FOUND', 'product 999');
    expect(await sql(t.services, 'SELECT 1 FROM inventories WHERE product_id = 999')).toHaveLength(0);
  });

  it('409 INSUFFICIENT_STOCK when available would go below 0', async ({ t }) => {
    await createProduct(t.app, { product_id: 1, stock: 3 });
    await expectRefusal(t, { product_id: 1, delta: -4 }, 409, 'INSUFFICIENT_STOCK', 'has 3 available');
  });

  it('409 MAX_STOCK_EXCEEDED above max_stock, and a restock up to it exactly applies', async ({ t }) => {
    await createProduct(t.app, { product_id: 2, stock: 5, max_stock: 10 });
    await expectRefusal(t, { product_id: 2, delta: 6 }, 409, 'MAX_STOCK_EXCEEDED', 'max_stock of 10');
    expect((await sync(t.app, { product_id: 2, delta: 5 })).body.data.stock).toBe(10);
  });

  it('409 VERSION_CONFLICT for a stale expected_version; the current one applies', async ({ t }) => {
    await createProduct(t.app, { product_id: 3, stock: 5 });
    await sync(t.app, { product_id: 3, delta: -1 });
    await expectRefusal(t, { product_id: 3, delta: -1, expected_version: 1 }, 409, 'VERSION_CONFLICT', 'version 2, not 1');
    const ok = await sync(t.app, { product_id: 3, delta: -1, expected_version: 2 });
    expect(ok.body.data).toMatchObject({ stock: 3, version: 3 });
  });

  it('423 INVENTORY_LOCKED and 409 INVENTORY_INACTIVE', async ({ t }) => {
    await createProduct(t.app, { product_id: 4, stock: 5, status: 'locked' });
    await createProduct(t.app, { product_id: 5, stock: 5, status: 'inactive' });
    await expectRefusal(t, { product_id: 4, delta: -1 }, 423, 'INVENTORY_LOCKED', 'locked');
    await expectRefusal(t, { product_id: 5, delta: 1 }, 409, 'INVENTORY_INACTIVE', 'inactive');
  });

  it('409 INVENTORY_ALREADY_EXISTS on a second create', async ({ t }) => {
    await createProduct(t.app, { product_id: 6, stock: 5 });
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/inventory', payload: { product_id: 6, stock: 50 } });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('INVENTORY_ALREADY_EXISTS');
    expect((await snapshot(t, 6)).row).toMatchObject({ stock: 5, version: 1 });
  });

  it('a refused delta in a batch does not stop the others', async ({ t }) => {
    await createProduct(t.app, { product_id: 7, stock: 5 });
    const answers = await Promise.all([-3, -3, -2, 4, -4].map((delta) => sync(t.app, { product_id: 7, delta })));
    expect(answers.map((a) => a.body.code ?? 'OK')).toEqual(['OK', 'INSUFFICIENT_STOCK', 'OK', 'OK', 'OK']);
    expect((await snapshot(t, 7)).row!.stock).toBe(0);
  });
});

describe('sync validation (400/413/415): the message names the field', () => {
  const cases: [string, unknown, string][] = [
    ['missing product_id', { delta: 1 }, 'body.product_id is required'],
    ['missing delta', { product_id: 1 }, 'body.delta is required'],
    ['zero delta', { product_id: 1, delta: 0 }, 'body.delta must not be 0'],
    ['fractional delta', { product_id: 1, delta: 1.5 }, 'body.delta must be an integer'],
    ['string delta', { product_id: 1, delta: '5' }, 'body.delta must be an integer'],
    ['delta over max', { product_id: 1, delta: 1_000_001 }, 'body.delta must be at most 1000000'],
    ['delta under -max', { product_id: 1, delta: -1_000_001 }, 'body.delta must be at least -1000000'],
    ['negative product_id', { product_id: -1, delta: 1 }, 'body.product_id must be at least 1'],
    ['unsafe product_id', { product_id: 2 ** 53 + 2, delta: 1 }, 'body.product_id must be at most'],
    ['empty order_id', { product_id: 1, delta: 1, order_id: '' }, 'body.order_id must not be empty'],
    ['long order_id', { product_id: 1, delta: 1, order_id: 'x'.repeat(129) }, 'body.order_id must be at most 128'],
    ['numeric order_id', { product_id: 1, delta: 1, order_id: 5 }, 'body.order_id must be a string'],
    ['unknown field', { product_id: 1, delta: 1, quantity: 3 }, 'body.quantity is not a known field'],
    ['array body', [1, 2], 'body must be an object'],
  ];
  it.for(cases)('%s', async ([_name, payload, message], { t }) => {
    const answer = await t.app.inject({ method: 'POST', url: '/api/v1/sync-stock', payload: payload as object });
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    expect(answer.json().message).toContain(message);
  });

  it('bad JSON, wrong content type and oversized bodies', async ({ t }) => {
    const badJson = await t.app.inject({ method: 'POST', url: '/api/v1/sync-stock', headers: { 'content-type': 'application/json' }, payload: '{"product_id": 1,' });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toMatchObject({ code: 'VALIDATION_ERROR', message: 'body is not valid JSON.' });
    const text = await t.app.inject({ method: 'POST', url: '/api/v1/sync-stock', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
    expect(text.statusCode).toBe(415);
    expect(text.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const huge = await t.app.inject({ method: 'POST', url: '/api/v1/sync-stock', headers: { 'content-type': 'application/json' }, payload: `{"reason":"${'x'.repeat(7 * 1024 * 1024)}"}` });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().code).toBe('PAYLOAD_TOO_LARGE');
    const empty = await t.app.inject({ method: 'POST', url: '/api/v1/sync-stock', headers: { 'content-type': 'application/json' }, payload: '' });
    expect(empty.statusCode).toBe(400);
  });

  it('unknown routes answer 404 in the envelope', async ({ t }) => {
    const answer = await t.app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    expect(answer.statusCode).toBe(404);
    expect(answer.json()).toMatchObject({ success: false, code: 'NOT_FOUND' });
  });
});

describe('trace ids', () => {
  it('echoes X-Trace-Id, lets the body win, and writes it to the log row', async ({ t }) => {
    await createProduct(t.app, { product_id: 8, stock: 5 });
    const fromHeader = await t.app.inject({ method: 'POST', url: '/api/v1/sync-stock', headers: { 'x-trace-id': 'hdr-1' }, payload: { product_id: 8, delta: -1 } });
    expect(fromHeader.headers['x-trace-id']).toBe('hdr-1');
    const fromBody = await t.app.inject({ method: 'POST', url: '/api/v1/sync-stock', headers: { 'x-trace-id': 'hdr-2' }, payload: { product_id: 8, delta: -1, trace_id: 'body-2' } });
    expect(fromBody.headers['x-trace-id']).toBe('body-2');
    const generated = await t.app.inject({ method: 'GET', url: '/api/v1/inventory/8' });
    expect(generated.headers['x-trace-id']).toMatch(/^[0-9a-f-]{36}$/);
    const logs = await sql(t.services, `SELECT trace_id FROM inventory_logs WHERE product_id = 8 AND op_type = 'deduct' ORDER BY id`);
    expect(logs.map((l) => l.trace_id)).toEqual(['hdr-1', 'body-2']);
  });
});

describe('product limits and validation wording', () => {
  it('refuses min_stock above max_stock on create and on update, naming both', async ({ t }) => {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/inventory', payload: { product_id: 30, stock: 5, min_stock: 20, max_stock: 10 } });
    expect(created.statusCode).toBe(400);
    expect(created.json().message).toBe('min_stock (20) must not exceed max_stock (10) when max_stock is set.');
    await createProduct(t.app, { product_id: 31, stock: 5, max_stock: 10 });
    const updated = await t.app.inject({ method: 'PUT', url: '/api/v1/inventory/31', payload: { version: 1, min_stock: 11 } });
    expect(updated.statusCode).toBe(400);
    expect((await snapshot(t, 31)).row).toMatchObject({ version: 1 });
  });

  it('names the default stock when it is the one above max_stock', async ({ t }) => {
    const answer = await t.app.inject({ method: 'POST', url: '/api/v1/inventory', payload: { product_id: 32, max_stock: 10 } });
    expect(answer.statusCode).toBe(400);
    expect(answer.json().message).toContain('the default stock (inventory.default_stock)');
  });

  it('says what a bad cursor or a nullable field should be', async ({ t }) => {
    const cursor = await t.app.inject({ method: 'GET', url: '/api/v1/inventory?cursor=abc' });
    expect(cursor.json().message).toBe('querystring.cursor is not a cursor from a previous page.');
    const reason = await sync(t.app, { product_id: 1, delta: 1, reason: 5 });
    expect(reason.body.message).toBe('body.reason must be a string or null.');
  });
});
