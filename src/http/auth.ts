/**
 * Role-scoped bearer tokens. Every API route declares its role in its options
 * (`config: { role }`); `/health`, `/metrics` and `/docs` declare none and stay open.
 *
 * - `sync`: the order service (sync, batch sync, reservations, order holds).
 * - `operator`: changes people make (create/update, fixes, alert acks, starting checks).
 * - `read`: every other read. The operator token is accepted here too: an operator reads what
 *   they fix. The sync token is not: a read token is separate so dashboards need no write secret.
 *
 * Tokens come from `server.auth.tokens.{sync,operator,read}` (env `AUTH_TOKEN_SYNC`, …). An
 * empty token leaves that role open. The older single `server.auth_token` (`AUTH_TOKEN`) keeps its
 * meaning, "the write token": it stands for the sync and operator tokens that are not set, so a
 * deployment that set only it still needs it for every write, and reads stay open.
 *
 * Tokens are compared as SHA-256 digests with timingSafeEqual, every accepted one each time, so
 * the time taken says nothing about how much of a guess was right.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config-types.js';
import { errors } from '../errors.js';

/** Who may call a route: the order service (sync), operators and their tools, or any reader. */
export type Role = 'sync' | 'operator' | 'read';
export const roles: readonly Role[] = ['sync', 'operator', 'read'];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's role; open routes (/health, /metrics, /docs) have none. */
    role?: Role;
  }
}

/** Each role's token after the fallback to `server.auth_token`; '' means the role is open. */
export function roleTokens(server: Config['server']): Record<Role, string> {
  // Every token key has a default ('') after validation (config-schema.ts).
  const tokens = server.auth.tokens;
  return {
    sync: tokens.sync || server.auth_token,
    operator: tokens.operator || server.auth_token,
    read: tokens.read,
  };
}

const digest = (text: string) => createHash('sha256').update(text).digest();
/** RFC 7235: the scheme name is case-insensitive. */
const bearerPrefix = /^bearer /i;

export function installAuth(app: FastifyInstance, server: Config['server']): void {
  const tokens = roleTokens(server);
  // The digests each role accepts; an empty list means the role is open.
  const accepted: Record<Role, Buffer[]> = {
    sync: tokens.sync === '' ? [] : [digest(tokens.sync)],
    operator: tokens.operator === '' ? [] : [digest(tokens.operator)],
    read: tokens.read === '' ? [] : [digest(tokens.read), ...(tokens.operator === '' ? [] : [digest(tokens.operator)])],
  };
  if (roles.every((role) => accepted[role].length === 0)) return;
  app.addHook('onRequest', (request, _reply, done) => {
    const role = request.routeOptions.config.role;
    if (role === undefined || accepted[role].length === 0) return done();
    const given = request.headers.authorization;
    const guess = given !== undefined && bearerPrefix.test(given) ? digest(given.slice(7)) : null;
    let ok = false;
    for (const expected of accepted[role]) ok = (guess !== null && timingSafeEqual(guess, expected)) || ok;
    done(ok ? undefined : errors.unauthorized(role));
  });
}
