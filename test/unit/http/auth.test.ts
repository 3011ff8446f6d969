/**
 * Proves the role-scoped bearer tokens on a bare fastify app (no services): a route of a role with
 * a token refuses (401 UNAUTHORIZED, before its handler runs) a missing, malformed or other role's
 * token and accepts its own with the scheme in any case; the operator token also reads, the sync
 * token does not; a role without a token and routes without a role stay open; the single
 * `server.auth_token` stands for the sync and operator tokens not set (`roleTokens`).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/config-types.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { installAuth, roleTokens, type Role } from '../../../src/http/auth.js';
import { installErrorHandler } from '../../../src/http/error-handler.js';

const defaults = loadConfig({}).server;
const serverWith = (authToken: string, tokens: Partial<Record<Role, string>> = {}): Config['server'] =>
  ({ ...defaults, auth_token: authToken, auth: { tokens: { sync: '', operator: '', read: '', ...tokens } } });

async function appWith(server: Config['server'], handled: string[]): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  installErrorHandler(app);
  installAuth(app, server);
  for (const role of ['sync', 'operator', 'read'] as const) {
    app.post(`/${role}`, { config: { role } }, async () => { handled.push(role); return { ok: true }; });
  }
  app.get('/open', async () => { handled.push('open'); return { ok: true }; });
  await app.ready();
  return app;
}

const send = (app: FastifyInstance, url: string, authorization?: string) =>
  app.inject({ method: 'POST', url, headers: authorization === undefined ? {} : { authorization } });

describe('with a token per role', () => {
  const handled: string[] = [];
  let app: FastifyInstance;
  beforeAll(async () => { app = await appWith(serverWith('', { sync: 'tok-sync', operator: 'tok-operator', read: 'tok-read' }), handled); });
  afterAll(async () => { await app.close(); });

  it('refuses a missing, malformed or other role\'s token before the handler runs', async () => {
    const wrong = [undefined, '', 'Bearer', 'Bearer ', 'tok-sync', 'Basic tok-sync', 'Bearer  tok-sync', 'Bearertok-sync',
      'Bearer tok-syn', 'Bearer tok-sync2', 'Bearer tok-operator', 'Bearer tok-read'];
    for (const authorization of wrong) {
      const answer = await send(app, '/sync', authorization);
      expect(answer.statusCode, String(authorization)).toBe(401);
      expect(answer.json(), String(authorization)).toMatchObject({ success: false, code: 'UNAUTHORIZED', data: null });
    }
    expect((await send(app, '/operator', 'Bearer tok-sync')).statusCode).toBe(401);
    expect((await send(app, '/read', 'Bearer tok-sync')).statusCode).toBe(401); // a write token is not a read token
    expect(handled).toEqual([]);
  });

  it('accepts each role\'s own token, the scheme in any case, and the operator token for reads', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) expect((await send(app, '/sync', `${scheme} tok-sync`)).statusCode, scheme).toBe(200);
    expect((await send(app, '/operator', 'Bearer tok-operator')).statusCode).toBe(200);
    expect((await send(app, '/read', 'Bearer tok-read')).statusCode).toBe(200);
    expect((await send(app, '/read', 'Bearer tok-operator')).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/open' })).statusCode).toBe(200);
    expect(handled).toEqual(['sync', 'sync', 'sync', 'operator', 'read', 'read', 'open']);
  });
});

describe('the single write token', () => {
  it('stands for the sync and operator tokens that are not set, and leaves reads open', async () => {
    expect(roleTokens(serverWith('w'))).toEqual({ sync: 'w', operator: 'w', read: '' });
    expect(roleTokens(serverWith('w', { operator: 'op' }))).toEqual({ sync: 'w', operator: 'op', read: '' });
    expect(roleTokens(serverWith('', { read: 'r' }))).toEqual({ sync: '', operator: '', read: 'r' });
    const handled: string[] = [];
    const app = await appWith(serverWith('w'), handled);
    try {
      expect((await send(app, '/sync')).statusCode).toBe(401);
      expect((await send(app, '/operator', 'Bearer x')).statusCode).toBe(401);
      expect((await send(app, '/sync', 'Bearer w')).statusCode).toBe(200);
      expect((await send(app, '/operator', 'Bearer w')).statusCode).toBe(200);
      expect((await send(app, '/read')).statusCode).toBe(200);
      expect(handled).toEqual(['sync', 'operator', 'read']);
    } finally {
      await app.close();
    }
  });
});

describe('without any token', () => {
  it('asks nothing of any route', async () => {
    const handled: string[] = [];
    const app = await appWith(serverWith(''), handled);
    try {
      for (const route of ['/sync', '/operator', '/read']) expect((await send(app, route, 'Bearer anything')).statusCode, route).toBe(200);
      expect(handled).toEqual(['sync', 'operator', 'read']);
    } finally {
      await app.close();
    }
  });
});
