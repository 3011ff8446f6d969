/**
 * Proves every answer fastify or Node can give is our envelope {success, message, data, code} and
 * echoes nothing of the request: 431 (headers over 16 KB) and malformed HTTP, written by Node's
 * parser before fastify sees the request (raw sockets on a listening server), 408 (a body that
 * never completes), 414 (a path parameter over 384 characters), 400 for a malformed %-escape,
 * 413, 415 naming the content type that was sent, 404, and 405 with the path's methods in Allow.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dropDatabase, startTestApp, testConfig, type TestApp } from './helpers/test-env.js';

let t: TestApp;
let port: number;
beforeAll(async () => {
  t = await startTestApp(testConfig({ server: { request_timeout_ms: 300 } }));
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as { port: number }).port;
});
afterAll(async () => { await t.close(); await dropDatabase(t.config); });

/** Sends raw bytes, returns everything the server wrote before it closed the connection. */
function rawExchange(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => { received += chunk; });
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    socket.write(request);
  });
}

function parseRaw(answer: string): { status: number; headers: string; body: Record<string, unknown> } {
  const [head, body] = answer.split('\r\n\r\n') as [string, string];
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)![1]), headers: head, body: JSON.parse(body) };
}

function expectEnvelope(body: Record<string, unknown>, code: string, echoed: string[] = []): void {
  expect(Object.keys(body).sort()).toEqual(['code', 'data', 'message', 'success']);
  expect(body).toMatchObject({ success: false, data: null, code });
  for (const text of echoed) expect(JSON.stringify(body)).not.toContain(text);
}

it('answers headers over 16 KB with 431 in the envelope (written before fastify sees the request)', async () => {
  const marker = 'secret-header-value';
  const answer = parseRaw(await rawExchange(
    `GET /api/v1/inventory/1 HTTP/1.1\r\nHost: x\r\nX-Big: ${marker}${'a'.repeat(17 * 1024)}\r\n\r\n`));
  expect(answer.status).toBe(431);
  expect(answer.headers).toMatch(/content-type: application\/json/i);
  expectEnvelope(answer.body, 'HEADERS_TOO_LARGE', [marker]);
});

it('answers bytes that are not HTTP with 400 in the envelope', async () => {
  const answer = parseRaw(await rawExchange('HELLO <script> THERE\r\n\r\n'));
  expect(answer.status).toBe(400);
  expectEnvelope(answer.body, 'VALIDATION_ERROR', ['<script>']);
});

it('answers a request that never completes with 408 in the envelope', async () => {
  const body = JSON.stringify({ product_id: 1, delta: -1 });
  const answer = parseRaw(await rawExchange(
    `POST /api/v1/sync-stock HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 5)}`));
  expect(answer.status).toBe(408);
  expectEnvelope(answer.body, 'REQUEST_TIMEOUT');
});

it('answers a path parameter over 384 characters with 414, not echoing the URL', async () => {
  const long = `x${'9'.repeat(400)}`;
  const answer = await t.app.inject({ method: 'GET', url: `/api/v1/inventory/${long}` });
  expect(answer.statusCode).toBe(414);
  expectEnvelope(answer.json(), 'URI_TOO_LONG', [long]);
});

it('answers a malformed %-escape with 400, not echoing the URL', async () => {
  const answer = parseRaw(await rawExchange('GET /api/v1/inventory/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
  expect(answer.status).toBe(400);
  expectEnvelope(answer.body, 'VALIDATION_ERROR', ['%E0']);
});

it('answers 413, 415 (naming the type sent), 404 and 405 (with Allow) in the envelope', async () => {
  const large = await t.app.inject({ method: 'POST', url: '/api/v1/sync-stock', headers: { 'content-type': 'application/json' },
    payload: `{"reason":"${'r'.repeat(7 * 1024 * 1024)}"}` });
  expect(large.statusCode).toBe(413);
  expectEnvelope(large.json(), 'PAYLOAD_TOO_LARGE');

  const xml = await t.app.inject({ method: 'POST', url: '/api/v1/sync-stock', headers: { 'content-type': 'text/xml; charset=utf-8' }, payload: '<a/>' });
  expect(xml.statusCode).toBe(415);
  expectEnvelope(xml.json(), 'UNSUPPORTED_MEDIA_TYPE');
  expect(xml.json().message).toBe("Content-Type 'text/xml' is not supported; send application/json.");
  const odd = await t.app.inject({ method: 'POST', url: '/api/v1/sync-stock', headers: { 'content-type': 'x<script>' }, payload: 'x' });
  expect(odd.statusCode).toBe(415);
  expectEnvelope(odd.json(), 'UNSUPPORTED_MEDIA_TYPE', ['<script>']);

  const missing = await t.app.inject({ method: 'GET', url: '/api/v1/nothing-<here>' });
  expect(missing.statusCode).toBe(404);
  expectEnvelope(missing.json(), 'NOT_FOUND', ['nothing', '<here>']);
  const wrongMethod = await t.app.inject({ method: 'DELETE', url: '/api/v1/inventory/1' });
  expect(wrongMethod.statusCode).toBe(405);
  expect(wrongMethod.headers.allow).toBe('GET, HEAD, PUT');
  expectEnvelope(wrongMethod.json(), 'METHOD_NOT_ALLOWED');
  const getOnPost = await t.app.inject({ method: 'GET', url: '/api/v1/sync-stock?x=1' });
  expect([getOnPost.statusCode, getOnPost.headers.allow]).toEqual([405, 'POST']);
  const unknownMethodPath = await t.app.inject({ method: 'DELETE', url: '/api/v1/inventory/1/nothing' });
  expect(unknownMethodPath.statusCode).toBe(404);
});
