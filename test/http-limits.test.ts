/**
 * Proves the HTTP-level limits on a listening server: a client that sends its body too slowly is
 * cut off with 408 after `server.request_timeout_ms` (and nothing is applied), and a 5xx answer
 * carries the envelope only — no stack trace, no SQL, no internals.
 */
import { connect } from 'node:net';
import { expect } from 'vitest';
import { appTest } from './helpers/app-test.js';
import { createProduct, sql, sync } from './helpers/test-env.js';
import { deadDatabaseApp } from './helpers/dead-database-app.js';

const it = appTest({ server: { request_timeout_ms: 300 } });
it.beforeAll(async ({ t }) => { await t.app.listen({ host: '127.0.0.1', port: 0 }); });

it('cuts off a request whose body arrives too slowly with 408, applying nothing', async ({ t }) => {
  await createProduct(t.app, { product_id: 1, stock: 10 });
  const port = (t.app.server.address() as { port: number }).port;
  const body = JSON.stringify({ product_id: 1, delta: -1 });
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => { received += chunk; });
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    socket.write(`POST /api/v1/sync-stock HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`);
    socket.write(body.slice(0, 5)); // the rest never comes
  });
  expect(answer).toMatch(/^HTTP\/1\.1 408/);
  const [row] = await sql(t.services, 'SELECT stock FROM inventories WHERE product_id = 1');
  expect(row!.stock).toBe(10);
});

it('answers 5xx with the envelope only: no stack, no SQL', async ({ t }) => {
  await createProduct(t.app, { product_id: 2, stock: 10 });
  const dead = await deadDatabaseApp(t);
  const answer = await sync(dead.app, { product_id: 2, delta: -1 });
  await dead.close();
  expect(answer.status).toBe(503);
  expect(Object.keys(answer.body).sort()).toEqual(['code', 'data', 'message', 'success']);
  expect(JSON.stringify(answer.body)).not.toMatch(/ECONNREFUSED|at \w+ \(|\.ts:|SELECT|INSERT|stack/i);
});
