/**
 * GET /health: is the service usable? 200 while PostgreSQL answers (Redis down is "degraded": syncs
 * still commit), 503 when PostgreSQL does not. Open: load balancers probe it without a token.
 */
import * as limits from '../../../limits.js';
import { withTimeout } from '../../../timeout.js';
import { envelopeSchema } from '../../envelope.js';
import { errorCodes, errorWithDataSchema } from '../../openapi-errors.js';
import type { RoutePlugin } from '../../route-plugin.js';

export type CheckStatus = 'ok' | 'down';
export type HealthStatus = 'ok' | 'degraded' | 'down';

function probe(check: () => Promise<unknown>): Promise<CheckStatus> {
  return withTimeout(check().then((): CheckStatus => 'ok', (): CheckStatus => 'down'), limits.healthProbeTimeoutMs, 'down');
}

const healthDataSchema = {
  title: 'Health',
  type: 'object', additionalProperties: false, required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded', 'down'] },
    checks: {
      type: 'object', additionalProperties: false, required: ['postgres', 'redis', 'workers'],
      properties: Object.fromEntries(['postgres', 'redis', 'workers'].map((name) => [name, { type: 'string', enum: ['ok', 'down'] }])) as
        Record<'postgres' | 'redis' | 'workers', { type: 'string'; enum: ['ok', 'down'] }>,
    },
  },
} as const;

const healthSchema = {
  operationId: 'getHealth',
  tags: ['system'],
  summary: 'Is the service usable?',
  description: '200 while PostgreSQL answers (status degraded when Redis or the reconciliation workers do not), ' +
    '503 DATABASE_UNAVAILABLE when PostgreSQL does not. Each probe answers within ' +
    `${limits.healthProbeTimeoutMs} ms.`,
  errorCodes: errorCodes('DATABASE_UNAVAILABLE'),
  response: {
    200: envelopeSchema(healthDataSchema, { status: 'ok', checks: { postgres: 'ok', redis: 'ok', workers: 'ok' } },
      'All dependencies answer.'),
    503: errorWithDataSchema(healthDataSchema, 'DATABASE_UNAVAILABLE with the probes; SHUTTING_DOWN without data.'),
  },
} as const;

export const healthRoute: RoutePlugin = async (app) => {
  app.get('/health', { schema: healthSchema }, async (_request, reply) => {
    const probes = {
      postgres: () => app.readPool.query('SELECT 1'),
      redis: () => app.redis.ping(),
      workers: () => app.reconciler.checkWorkers(),
    };
    const results = await Promise.all(Object.values(probes).map(probe));
    const checks = Object.fromEntries(Object.keys(probes).map((name, index) => [name, results[index]!])) as Record<keyof typeof probes, CheckStatus>;
    const status: HealthStatus = checks.postgres === 'down' ? 'down' : results.every((c) => c === 'ok') ? 'ok' : 'degraded';
    return reply.code(status === 'down' ? 503 : 200).send({
      success: status !== 'down',
      message: status === 'ok' ? 'All dependencies answer.' : `Service is ${status}.`,
      data: { status, checks },
      ...(status === 'down' ? { code: 'DATABASE_UNAVAILABLE' } : {}),
    });
  });
};
