/**
 * Proves every string field reaches PostgreSQL as a parameter, never as SQL: classic injection
 * strings in each field of create and sync are stored verbatim and every table survives.
 */
import { expect } from 'vitest';
import { appTest } from './helpers/app-test.js';
import { createProduct, sql, sync } from './helpers/test-env.js';

const it = appTest();

const payloads = [
  "'; DROP TABLE inventories; --",
  "1' OR '1'='1",
  'x"); DELETE FROM inventory_logs; --',
  "$1::bigint; UPDATE inventories SET stock = 0; --",
  "\\'; TRUNCATE inventory_idempotency; --",
  '🙂 ünïcödé',
];

/** Trace ids travel in a header: printable ASCII only, so the unicode payload loses its non-ASCII part there. */
const asTraceId = (text: string) => text.replace(/[^\x21-\x7e]/g, '_');

it('stores injection strings verbatim in every string field', async ({ t }) => {
  for (const [i, text] of payloads.entries()) {
    const productId = 100 + i;
    await createProduct(t.app, { product_id: productId, product_name: text, stock: 10, reason: text, operator: text.slice(0, 64), trace_id: asTraceId(text) });
    const answer = await sync(t.app, { product_id: productId, delta: -1, order_id: text, reason: text, operator: text.slice(0, 64), trace_id: asTraceId(text) });
    expect(answer.status).toBe(200);
    const keyed = await sync(t.app, { product_id: productId, delta: -2, idempotency_key: text });
    expect(keyed.status).toBe(200);
    const [row] = await sql(t.services, 'SELECT product_name, stock FROM inventories WHERE product_id = $1', [productId]);
    expect(row).toEqual({ product_name: text, stock: 7 });
    const logs = await sql(t.services, `SELECT order_id, reason, operator, trace_id FROM inventory_logs WHERE product_id = $1 AND op_type = 'deduct' ORDER BY id`, [productId]);
    expect(logs[0]).toEqual({ order_id: text, reason: text, operator: text.slice(0, 64), trace_id: asTraceId(text) });
  }
  const [counts] = await sql(t.services, `SELECT (SELECT count(*) FROM inventories)::int AS products, (SELECT count(*) FROM inventory_logs)::int AS logs, (SELECT count(*) FROM inventory_idempotency)::int AS keys`);
  expect(counts).toEqual({ products: payloads.length, logs: payloads.length * 3, keys: payloads.length * 2 });
});

it('refuses NUL characters and non-ASCII trace ids with 400, not a failed statement', async ({ t }) => {
  await createProduct(t.app, { product_id: 1, stock: 10 });
  const nul = await sync(t.app, { product_id: 1, delta: -1, order_id: 'a\u0000b' });
  expect(nul.status).toBe(400);
  expect(nul.body.message).toBe('body.order_id must not contain NUL characters.');
  const trace = await sync(t.app, { product_id: 1, delta: -1, trace_id: 'tracé' });
  expect(trace.status).toBe(400);
  expect(trace.body.message).toBe('body.trace_id must be printable ASCII without spaces.');
  const [row] = await sql(t.services, 'SELECT stock FROM inventories WHERE product_id = 1');
  expect(row!.stock).toBe(10);
});
