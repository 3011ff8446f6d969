/**
 * Proves role-scoped tokens on every route: with the sync, operator and read tokens configured,
 * each API route refuses no token and every other role's token with 401, and accepts its own (the
 * operator token also reads); /health, /metrics and /docs stay open. The table below is the
 * policy: a documented route missing from it fails the test (add its line, and its role).
 */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { roleTokens, type Role } from '../src/http/auth.js';
import { dropDatabase, startTestApp, testConfig, type TestApp } from './helpers/test-env.js';

const tokens: Record<Role, string> = { sync: 'tok-sync', operator: 'tok-operator', read: 'tok-read' };
const runId = '00000000-0000-4000-8000-000000000000';

/** Route (as OpenAPI names it) → its role, and a request to it. */
export const routeRoles: Record<string, { role: Role; request: InjectOptions }> = {
  'POST /api/v1/sync-stock': { role: 'sync', request: { method: 'POST', url: '/api/v1/sync-stock', payload: { product_id: 1, delta: -1 } } },
  'POST /api/v1/sync-stock/batch': { role: 'sync', request: { method: 'POST', url: '/api/v1/sync-stock/batch', payload: { items: [{ product_id: 1, delta: -1 }] } } },
  'POST /api/v1/reservations': { role: 'sync', request: { method: 'POST', url: '/api/v1/reservations', payload: { product_id: 1, quantity: 1, order_id: 'o' } } },
  'POST /api/v1/reservations/{id}/confirm': { role: 'sync', request: { method: 'POST', url: '/api/v1/reservations/1/confirm' } },
  'POST /api/v1/reservations/{id}/release': { role: 'sync', request: { method: 'POST', url: '/api/v1/reservations/1/release' } },
  'POST /api/v1/orders/{orderId}/holds': { role: 'sync', request: { method: 'POST', url: '/api/v1/orders/o-1/holds', payload: { items: [{ product_id: 1, quantity: 1 }] } } },
  'POST /api/v1/orders/{orderId}/confirm': { role: 'sync', request: { method: 'POST', url: '/api/v1/orders/o-1/confirm' } },
  'POST /api/v1/orders/{orderId}/release': { role: 'sync', request: { method: 'POST', url: '/api/v1/orders/o-1/release' } },
  'POST /api/v1/inventory': { role: 'operator', request: { method: 'POST', url: '/api/v1/inventory', payload: { product_id: 1, stock: 5 } } },
  'PUT /api/v1/inventory/{productId}': { role: 'operator', request: { method: 'PUT', url: '/api/v1/inventory/1', payload: { version: 99, stock: 1 } } },
  'GET /api/v1/health/check': { role: 'operator', request: { method: 'GET', url: '/api/v1/health/check' } },
  'POST /api/v1/health/trigger': { role: 'operator', request: { method: 'POST', url: '/api/v1/health/trigger' } },
  'POST /api/v1/health/fix/{diffId}': { role: 'operator', request: { method: 'POST', url: '/api/v1/health/fix/1', payload: { fix_type: 'ignore' } } },
  'POST /api/v1/health/rebuild': { role: 'operator', request: { method: 'POST', url: '/api/v1/health/rebuild' } },
  'POST /api/v1/health/fix': { role: 'operator', request: { method: 'POST', url: '/api/v1/health/fix', payload: { diff_ids: [1], fix_type: 'ignore' } } },
  'POST /api/v1/alerts/{alertId}/ack': { role: 'operator', request: { method: 'POST', url: '/api/v1/alerts/1/ack', payload: { status: 'sent' } } },
  'POST /api/v1/inventory/{productId}/restore': { role: 'operator', request: { method: 'POST', url: '/api/v1/inventory/1/restore', payload: { to_log_id: 1, reason: 'r', operator: 'o' } } },
  'POST /api/v1/ledger/audits': { role: 'operator', request: { method: 'POST', url: '/api/v1/ledger/audits' } },
  'GET /api/v1/inventory/{productId}': { role: 'read', request: { method: 'GET', url: '/api/v1/inventory/1' } },
  'GET /api/v1/inventory': { role: 'read', request: { method: 'GET', url: '/api/v1/inventory' } },
  'POST /api/v1/inventory/batch': { role: 'read', request: { method: 'POST', url: '/api/v1/inventory/batch', payload: { product_ids: [1] } } },
  'GET /api/v1/reservations/{id}': { role: 'read', request: { method: 'GET', url: '/api/v1/reservations/1' } },
  'GET /api/v1/orders/{orderId}': { role: 'read', request: { method: 'GET', url: '/api/v1/orders/o-1' } },
  'GET /api/v1/inventory/{productId}/logs': { role: 'read', request: { method: 'GET', url: '/api/v1/inventory/1/logs' } },
  'GET /api/v1/logs': { role: 'read', request: { method: 'GET', url: '/api/v1/logs?order_id=o' } },
  'GET /api/v1/health/runs/{runId}': { role: 'read', request: { method: 'GET', url: `/api/v1/health/runs/${runId}` } },
  'GET /api/v1/health/diffs': { role: 'read', request: { method: 'GET', url: '/api/v1/health/diffs' } },
  'GET /api/v1/alerts': { role: 'read', request: { method: 'GET', url: '/api/v1/alerts' } },
  'GET /api/v1/stats/inventory': { role: 'read', request: { method: 'GET', url: '/api/v1/stats/inventory' } },
  'GET /api/v1/stats/service': { role: 'read', request: { method: 'GET', url: '/api/v1/stats/service' } },
  'GET /api/v1/inventory/{productId}/audit': { role: 'read', request: { method: 'GET', url: '/api/v1/inventory/1/audit' } },
  'GET /api/v1/inventory/{productId}/at': { role: 'read', request: { method: 'GET', url: '/api/v1/inventory/1/at?time=2026-01-01T00:00:00Z' } },
  'GET /api/v1/ledger/audits/{runId}': { role: 'read', request: { method: 'GET', url: `/api/v1/ledger/audits/${runId}` } },
};
const openRoutes = ['GET /health', 'GET /metrics'];

describe('with a token per role', () => {
  let t: TestApp;
  beforeAll(async () => { t = await startTestApp(testConfig({ server: { auth: { tokens } } })); });
  afterAll(async () => { await t.close(); await dropDatabase(t.config); });

  const send = (request: InjectOptions, token?: string) =>
    t.app.inject({ ...request, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

  it('lists every documented route in the table', async () => {
    const document = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented.filter((route) => !openRoutes.includes(route)).sort()).toEqual(Object.keys(routeRoles).sort());
  });

  for (const [route, { role, request }] of Object.entries(routeRoles)) {
    it(`${route} (${role}): no token and other roles' tokens are 401, its own token passes`, async () => {
      const refused = [undefined, 'nope', ...Object.entries(tokens)
        .filter(([other]) => other !== role && !(role === 'read' && other === 'operator')).map(([, token]) => token)];
      for (const token of refused) {
        const answer = await send(request, token);
        expect(answer.statusCode, `${route} with ${token ?? 'no token'}`).toBe(401);
        expect(answer.json()).toMatchObject({ success: false, code: 'UNAUTHORIZED', data: null });
      }
      const own = await send(request, tokens[role]);
      expect(own.statusCode, own.body).not.toBe(401);
      if (role === 'read') expect((await send(request, tokens.operator)).statusCode).not.toBe(401);
    });
  }

  it('leaves /health, /metrics and /docs open', async () => {
    for (const url of ['/health', '/metrics', '/docs/json']) expect((await t.app.inject({ method: 'GET', url })).statusCode, url).not.toBe(401);
  });
});

describe('with only the older server.auth_token', () => {
  let t: TestApp;
  beforeAll(async () => { t = await startTestApp(testConfig({ server: { auth_token: 'legacy' } })); });
  afterAll(async () => { await t.close(); await dropDatabase(t.config); });

  it('needs it for sync and operator routes, and leaves reads open', async () => {
    for (const { role, request } of Object.values(routeRoles)) {
      if (role === 'read') {
        expect((await t.app.inject(request)).statusCode).not.toBe(401);
      } else {
        expect((await t.app.inject(request)).statusCode).toBe(401);
        expect((await t.app.inject({ ...request, headers: { authorization: 'bearer legacy' } })).statusCode).not.toBe(401);
      }
    }
  });
});

it('reads role tokens from the environment, falling back to AUTH_TOKEN for sync and operator', () => {
  const config = loadConfig({ AUTH_TOKEN: 'old', AUTH_TOKEN_SYNC: 's', AUTH_TOKEN_READ: 'r' });
  expect(roleTokens(config.server)).toEqual({ sync: 's', operator: 'old', read: 'r' });
  expect(roleTokens(loadConfig({}).server)).toEqual({ sync: '', operator: '', read: '' });
});
