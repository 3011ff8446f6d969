/**
 * Optional bearer-token auth for write routes (`server.auth_token`, off when empty). Reads stay
 * open so health checks and dashboards need no secret; a GET of the operator role (a health
 * check, which starts a reconciliation run) asks for the token too. Every API route declares its
 * role in its options (`config: { role }`); `/health`, `/metrics` and `/docs` declare none. The
 * comparison takes the same time whatever the guess, so the token cannot be found byte by byte.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { errors } from '../errors.js';

/** Who may call a route: the order service (sync), operators and their tools, or any reader. */
export type Role = 'sync' | 'operator' | 'read';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's role; open routes (/health, /metrics, /docs) have none. */
    role?: Role;
  }
}

const readMethods = new Set(['GET', 'HEAD', 'OPTIONS']);
const digest = (text: string) => createHash('sha256').update(text).digest();
/** RFC 7235: the scheme name is case-insensitive. */
const bearerPrefix = /^bearer /i;

export function installAuth(app: FastifyInstance, token: string): void {
  if (token === '') return;
  const expected = digest(token);
  app.addHook('onRequest', (request, _reply, done) => {
    if (readMethods.has(request.method) && request.routeOptions.config.role !== 'operator') return done();
    const given = request.headers.authorization;
    const ok = given !== undefined && bearerPrefix.test(given) && timingSafeEqual(digest(given.slice(7)), expected);
    done(ok ? undefined : errors.unauthorized());
  });
}
