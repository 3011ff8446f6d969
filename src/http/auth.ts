/**
 * Optional bearer-token auth for write routes (`server.auth_token`, off when empty). Reads stay
 * open so health checks and dashboards need no secret. The comparison takes the same time whatever
 * the guess, so the token cannot be found byte by byte.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { errors } from '../errors.js';

const readMethods = new Set(['GET', 'HEAD', 'OPTIONS']);
const digest = (text: string) => createHash('sha256').update(text).digest();

export function installAuth(app: FastifyInstance, token: string): void {
  if (token === '') return;
  const expected = digest(`Bearer ${token}`);
  app.addHook('onRequest', async (request) => {
    if (readMethods.has(request.method)) return;
    const given = request.headers.authorization;
    if (given === undefined || !timingSafeEqual(digest(given), expected)) throw errors.unauthorized();
  });
}
