// Proves the history routes: a product's log rows come newest first in keyset pages with no
// duplicate and no gap, also while new rows are written during the walk; lookups by order_id and
// trace_id find exactly that order's / request's rows; bad queries are 400s, unknown products 404.
import { describe, expect } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { appTest } from './helpers/app-test.js';
import { createProduct, sql, sync } from './helpers/test-env.js';
import { call, finishReservation, reserve, walkPages } from './helpers/api.js';

const it = appTest();

type LogItem = { id: number; op_type: string; delta: number; order_id: string | null; trace_id: string | null };
type LogPage = { items: LogItem[]; next_cursor: string | null };

it.beforeAll(async ({ t }) => {
  await createProduct(t.app, { product_id: 1, stock: 1000 });
  for (let i = 0; i < 120; i += 1) {
    expect((await sync(t.app, { product_id: 1, delta: -1, order_id: `order-${i}`, trace_id: `trace-${i % 7}` })).status).toBe(200);
  }
});

/** The ids of every log row `url` lists, walked page by page. */
async function walk(app: FastifyInstance, url: string, limit: number, during?: () => Promise<void>): Promise<number[]> {
  return (await walkPages<LogItem>(app, url, limit, (item) => item.id, during)).map((item) => item.id);
}

describe('history', () => {
  it('pages a product log newest first with no duplicate and no gap, while rows are added', async ({ t }) => {
    const before = (await sql<{ id: number }>(t.services, 'SELECT id FROM inventory_logs WHERE product_id = 1 ORDER BY id DESC')).map((row) => row.id);
    expect(before).toHaveLength(121);
    // New rows are newer than every cursor, so a walk that started before them never sees them.
    const ids = await walk(t.app, '/api/v1/inventory/1/logs', 25, async () => {
      expect((await sync(t.app, { product_id: 1, delta: 1 })).status).toBe(200);
    });
    expect(ids).toEqual(before);
  });

  it('finds the rows of one order across operations, and of one trace id', async ({ t }) => {
    // Another product, so product 1's log keeps the 121 rows the walk above counts, in any order.
    await createProduct(t.app, { product_id: 2, stock: 10 });
    const reserved = await reserve(t.app, { product_id: 2, quantity: 2, order_id: 'order-5', trace_id: 'trace-reserve' });
    expect(reserved.status).toBe(201);
    expect((await finishReservation(t.app, reserved.body.data.reservation_id as number, 'confirm')).status).toBe(200);
    const byOrder = await call<LogPage>(t.app, 'GET', '/api/v1/logs?order_id=order-5');
    expect(byOrder.body.data.items.map((item) => [item.op_type, item.delta])).toEqual([['confirm', -2], ['reserve', 0], ['deduct', -1]]);
    const byTrace = await walk(t.app, '/api/v1/logs?trace_id=trace-3', 4);
    const expected = await sql<{ id: number }>(t.services, "SELECT id FROM inventory_logs WHERE trace_id = 'trace-3' ORDER BY id DESC");
    expect(byTrace).toEqual(expected.map((row) => row.id));
    expect(byTrace.length).toBeGreaterThan(4);
    expect((await call<LogPage>(t.app, 'GET', '/api/v1/logs?trace_id=trace-reserve')).body.data.items.map((item) => item.op_type)).toEqual(['reserve']);
    expect((await call<LogPage>(t.app, 'GET', '/api/v1/logs?order_id=no-such-order')).body.data).toEqual({ items: [], next_cursor: null });
  });

  it('refuses bad queries with 400 and unknown products with 404', async ({ t }) => {
    const cases: [string, RegExp][] = [
      ['/api/v1/logs', /exactly one of querystring.order_id or querystring.trace_id/],
      ['/api/v1/logs?order_id=a&trace_id=b', /exactly one of/],
      ['/api/v1/logs?order_id=', /querystring.order_id must not be empty/],
      ['/api/v1/logs?order_id=a&limit=0', /querystring.limit must be at least 1/],
      ['/api/v1/logs?order_id=a&cursor=x', /querystring.cursor/],
      ['/api/v1/inventory/1/logs?limit=501', /querystring.limit must be at most 500/],
      ['/api/v1/inventory/1/logs?cursor=-5', /querystring.cursor/],
      ['/api/v1/inventory/1/logs?since=yesterday', /querystring.since is not a known field/],
      ['/api/v1/inventory/0/logs', /params.productId must be at least 1/],
    ];
    for (const [url, message] of cases) {
      const answer = await call(t.app, 'GET', url);
      expect(answer.status, url).toBe(400);
      expect(answer.body.code).toBe('VALIDATION_ERROR');
      expect(answer.body.message, url).toMatch(message);
    }
    const missing = await call(t.app, 'GET', '/api/v1/inventory/424242/logs');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('INVENTORY_NOT_FOUND');
  });
});
