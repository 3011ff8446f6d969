/**
 * Proves strict input: strings PostgreSQL could not store as sent (lone UTF-16 surrogates, NUL) are
 * refused with 400 naming the field, in bodies, batch items, query strings and the X-Trace-Id
 * header; ids and numbers in paths and query strings must be plain digits (hex, exponents, spaces,
 * signs are 400 naming the parameter); a JSON body that repeats a key is 400 naming it. Every
 * refusal leaves the product's stock, version and log unchanged.
 */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createProduct, dropDatabase, sql, startTestApp, testConfig, type TestApp } from './helpers/test-env.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp(testConfig());
  await createProduct(t.app, { product_id: 4502, stock: 100 });
});
afterAll(async () => { await t.close(); await dropDatabase(t.config); });

async function unchanged(): Promise<void> {
  const [row] = await sql(t.services, 'SELECT stock, version FROM inventories WHERE product_id = 4502');
  expect(row).toEqual({ stock: 100, version: 1 });
  const [logs] = await sql(t.services, 'SELECT count(*)::int AS n FROM inventory_logs WHERE product_id = 4502');
  expect(logs!.n).toBe(1); // the create
}

async function refused(request: InjectOptions, message: string): Promise<void> {
  const answer = await t.app.inject(request);
  expect(answer.statusCode, answer.body).toBe(400);
  expect(answer.json()).toEqual({ success: false, message, data: null, code: 'VALIDATION_ERROR' });
}

const post = (url: string, body: unknown) => ({ method: 'POST' as const, url, payload: body as object });

it('refuses lone surrogates and NUL in every body string, naming the field', async () => {
  const surrogate = 'must be well-formed UTF-16 (it contains a lone surrogate).';
  await refused(post('/api/v1/sync-stock', { product_id: 4502, delta: -1, order_id: 'x\ud800' }), `body.order_id ${surrogate}`);
  await refused(post('/api/v1/sync-stock', { product_id: 4502, delta: -1, order_id: 'ord-\udfff' }), `body.order_id ${surrogate}`);
  await refused(post('/api/v1/sync-stock', { product_id: 4502, delta: -1, idempotency_key: '\udc00k' }), `body.idempotency_key ${surrogate}`);
  await refused(post('/api/v1/sync-stock', { product_id: 4502, delta: -1, reason: 'r\ud83d' }), `body.reason ${surrogate}`);
  await refused(post('/api/v1/sync-stock/batch', { items: [{ product_id: 4502, delta: -1 }, { product_id: 4502, delta: -1, operator: 'op\ud800' }] }),
    `body.items.1.operator ${surrogate}`);
  await refused(post('/api/v1/reservations', { product_id: 4502, quantity: 1, order_id: 'o\ud800' }), `body.order_id ${surrogate}`);
  await refused({ method: 'PUT', url: '/api/v1/inventory/4502', payload: { version: 1, product_name: 'n\udbff' } }, `body.product_name ${surrogate}`);
  await refused(post('/api/v1/sync-stock', { product_id: 4502, delta: -1, reason: 'a\u0000b' }), 'body.reason must not contain NUL characters.');
  // Well-formed pairs (emoji) are stored verbatim: see http-injection.
  await unchanged();
});

it('refuses NUL in query strings and an X-Trace-Id header that is not a trace id', async () => {
  await refused({ method: 'GET', url: '/api/v1/logs?order_id=a%00b' }, 'querystring.order_id must not contain NUL characters.');
  const header = 'headers.x-trace-id must be 1 to 128 printable ASCII characters without spaces.';
  await refused({ ...post('/api/v1/sync-stock', { product_id: 4502, delta: -1 }), headers: { 'x-trace-id': 'two words' } }, header);
  await refused({ ...post('/api/v1/sync-stock', { product_id: 4502, delta: -1 }), headers: { 'x-trace-id': 'x'.repeat(129) } }, header);
  const fine = await t.app.inject({ method: 'GET', url: '/api/v1/inventory/4502', headers: { 'x-trace-id': 'trace-1' } });
  expect(fine.headers['x-trace-id']).toBe('trace-1');
  await unchanged();
});

it('accepts ids and numbers in paths and query strings only as plain digits', async () => {
  for (const id of ['0x1196', '4.502e3', '%20%204502%20', '+4502', '-4502', '4502.0', '04502', '4502%00', '1e3']) {
    await refused({ method: 'PUT', url: `/api/v1/inventory/${id}`, payload: { version: 1, stock: 1 } },
      'params.productId must be a whole number written as plain digits (no sign, space, exponent or hex).');
    await refused({ method: 'GET', url: `/api/v1/inventory/${id}` },
      'params.productId must be a whole number written as plain digits (no sign, space, exponent or hex).');
  }
  for (const limit of ['0x5', '5e0', '%205', '+5', '5.0']) {
    await refused({ method: 'GET', url: `/api/v1/inventory?limit=${limit}` },
      'querystring.limit must be a whole number written as plain digits (no sign, space, exponent or hex).');
  }
  await refused({ method: 'POST', url: '/api/v1/reservations/0x1/confirm' },
    'params.id must be a whole number written as plain digits (no sign, space, exponent or hex).');
  expect((await t.app.inject({ method: 'GET', url: '/api/v1/inventory?limit=5' })).statusCode).toBe(200);
  expect((await t.app.inject({ method: 'GET', url: '/api/v1/inventory/4502' })).statusCode).toBe(200);
  await unchanged();
});

it('refuses a JSON body that repeats a key, naming it, and accepts colons and quotes inside strings', async () => {
  const raw = (url: string, payload: string) => ({ method: 'POST' as const, url, payload, headers: { 'content-type': 'application/json' } });
  await refused(raw('/api/v1/sync-stock', '{"product_id":4502,"delta":-1,"delta":-2}'), 'body.delta appears twice; send each field once.');
  await refused(raw('/api/v1/sync-stock/batch', '{"items":[{"product_id":4502,"delta":-1},{"product_id":4502,"delta":-1,"order_id":"a","order_id":"b"}]}'),
    'body.items.1.order_id appears twice; send each field once.');
  await refused(raw('/api/v1/sync-stock', '{"product_id":4502, "delta":-1, "reason":"a\\":b", "re\\"ason":1, "re\\"ason":2}'),
    'body.<a key> appears twice; send each field once.');
  await unchanged();
  const fine = await t.app.inject(raw('/api/v1/sync-stock', '{"product_id":4502,"delta":-1,"reason":"x:\\"y\\":{\\"delta\\":1}","operator":"a:b"}'));
  expect(fine.statusCode, fine.body).toBe(200);
});
