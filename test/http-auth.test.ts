/**
 * Proves the older single token (`server.auth_token`, the write token of the role model): a write
 * without it is 401 in any malformed form and changes nothing, the Bearer scheme is
 * case-insensitive, reads stay open. Every route against each role: http-roles.
 */
import { expect } from 'vitest';
import { appTest } from './helpers/app-test.js';
import { sql } from './helpers/test-env.js';

const it = appTest({ server: { auth_token: 's3cret' } });

it('refuses writes without the token, accepts them with it, and leaves reads open', async ({ t }) => {
  const create = (authorization?: string) => t.app.inject({
    method: 'POST', url: '/api/v1/inventory', payload: { product_id: 1, stock: 5 },
    headers: authorization === undefined ? {} : { authorization },
  });
  for (const wrong of [undefined, 'Bearer nope', 's3cret', 'Bearer s3cret2', 'Basic s3cret']) {
    const answer = await create(wrong);
    expect(answer.statusCode).toBe(401);
    expect(answer.json().code).toBe('UNAUTHORIZED');
  }
  expect(await sql(t.services, 'SELECT 1 FROM inventories')).toHaveLength(0);
  expect((await create('Bearer s3cret')).statusCode).toBe(201);
  // The scheme is case-insensitive (RFC 7235).
  expect((await t.app.inject({ method: 'POST', url: '/api/v1/inventory', payload: { product_id: 2 }, headers: { authorization: 'bearer s3cret' } })).statusCode).toBe(201);
  // A read that starts a reconciliation run needs the token as well.
  expect((await t.app.inject({ method: 'GET', url: '/api/v1/health/check' })).statusCode).toBe(401);
  expect((await t.app.inject({ method: 'GET', url: '/api/v1/health/check', headers: { authorization: 'Bearer s3cret' } })).statusCode).not.toBe(401);
  expect((await t.app.inject({ method: 'GET', url: '/api/v1/inventory/1' })).statusCode).toBe(200);
  expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
});
