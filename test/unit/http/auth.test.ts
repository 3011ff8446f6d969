/**
 * Proves the bearer-token hook on a bare fastify app (no services): with a token configured, a
 * write without exactly `Bearer <token>` (scheme case-insensitive) is 401 UNAUTHORIZED before its
 * handler runs, reads stay open unless their route has the operator role (a GET that starts a
 * reconciliation run), open routes stay open, and with no token configured nothing is asked for.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installAuth } from '../../../src/http/auth.js';
import { installErrorHandler } from '../../../src/http/error-handler.js';

const token = 's3cret';

async function appWith(authToken: string, handled: string[]): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  installErrorHandler(app);
  installAuth(app, authToken);
  app.post('/write', { config: { role: 'sync' } }, async () => { handled.push('write'); return { ok: true }; });
  app.get('/read', { config: { role: 'read' } }, async () => { handled.push('read'); return { ok: true }; });
  app.get('/open', async () => { handled.push('open'); return { ok: true }; });
  app.get('/starts-work', { config: { role: 'operator' } }, async () => { handled.push('starts-work'); return { ok: true }; });
  await app.ready();
  return app;
}

describe('with a token configured', () => {
  const handled: string[] = [];
  let app: FastifyInstance;
  beforeAll(async () => { app = await appWith(token, handled); });
  afterAll(async () => { await app.close(); });

  const send = (method: 'GET' | 'POST', url: string, authorization?: string) =>
    app.inject({ method, url, headers: authorization === undefined ? {} : { authorization } });

  it('refuses a write without the right bearer token, before its handler runs', async () => {
    for (const wrong of [undefined, '', 'Bearer', 'Bearer ', 'Bearer nope', 's3cret', 'Bearer s3cret2', 'Bearer s3cre', 'Basic s3cret', 'Bearer  s3cret', 'Bearers3cret']) {
      const answer = await send('POST', '/write', wrong);
      expect(answer.statusCode, String(wrong)).toBe(401);
      expect(answer.json(), String(wrong)).toMatchObject({ success: false, code: 'UNAUTHORIZED', data: null });
    }
    expect(handled).toEqual([]);
  });

  it('accepts the token with the scheme in any case', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      expect((await send('POST', '/write', `${scheme} ${token}`)).statusCode, scheme).toBe(200);
    }
    expect(handled.filter((route) => route === 'write')).toHaveLength(3);
  });

  it('leaves reads and open routes open but guards an operator read', async () => {
    expect((await send('GET', '/read')).statusCode).toBe(200);
    expect((await send('GET', '/open')).statusCode).toBe(200);
    expect((await send('GET', '/starts-work')).statusCode).toBe(401);
    expect((await send('GET', '/starts-work', `Bearer ${token}`)).statusCode).toBe(200);
  });
});

describe('without a token configured', () => {
  it('asks nothing of writes or of operator reads', async () => {
    const handled: string[] = [];
    const app = await appWith('', handled);
    try {
      expect((await app.inject({ method: 'POST', url: '/write' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/starts-work', headers: { authorization: 'Bearer anything' } })).statusCode).toBe(200);
      expect(handled).toEqual(['write', 'starts-work']);
    } finally {
      await app.close();
    }
  });
});
