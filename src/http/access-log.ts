/**
 * The access log: one `info` line per answered request (`logging.access`), with the method, the
 * route's pattern (bounded, like the metrics' label; the raw URL is left out so ids and query
 * strings are not copied into logs), the status, the duration and — through `request.log` — the
 * request's trace id. Probes (/health, /metrics) are left out unless `logging.access_probes`: a
 * scraper's line every few seconds would bury the requests that matter.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config-types.js';
import { unmatchedRoute } from './request-metrics.js';

export const probeRoutes: ReadonlySet<string> = new Set(['/health', '/metrics']);

export function installAccessLog(app: FastifyInstance, logging: Config['logging']): void {
  // Off: no hook at all, so the hot path pays nothing (bench/README.md has the measured cost).
  if (!logging.access) return;
  // A callback hook, like the metrics one: no promise per request on the sync path.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? unmatchedRoute;
    if (logging.access_probes || !probeRoutes.has(route)) {
      const durationMs = Math.round(reply.elapsedTime * 100) / 100;
      request.log.info({ method: request.method, route, status: reply.statusCode, duration_ms: durationMs },
        `${request.method} ${route} ${reply.statusCode} ${durationMs}ms`);
    }
    done();
  });
}
