/**
 * GET /health: is the service usable? 200 while PostgreSQL answers (Redis down is "degraded": syncs
 * still commit), 503 when PostgreSQL does not.
 */
import type { FastifyInstance } from 'fastify';
import * as limits from '../../../limits.js';
import type { Services } from '../../../services.js';
import { envelopeSchema } from '../../envelope.js';

export type CheckStatus = 'ok' | 'down';
export type HealthStatus = 'ok' | 'degraded' | 'down';


async function probe(check: () => Promise<unknown>): Promise<CheckStatus> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckStatus>((resolve) => { timer = setTimeout(() => resolve('down'), limits.healthProbeTimeoutMs); });
  const result = await Promise.race([check().then((): CheckStatus => 'ok', (): CheckStatus => 'down'), timeout]);
  clearTimeout(timer);
  return result;
}

export interface HealthChecks {
  postgres: CheckStatus;
  redis: CheckStatus;
  [extra: string]: CheckStatus;
}

/** Extra probes other modules add (the reconciliation workers). */
export type ExtraHealthCheck = { name: string; check: () => Promise<unknown> };

export async function healthRoute(app: FastifyInstance, services: Services, extra: ExtraHealthCheck[] = []): Promise<void> {
  const checkSchema = { type: 'string', enum: ['ok', 'down'] };
  app.get('/health', {
    schema: {
      response: {
        '2xx': envelopeSchema({ type: 'object', properties: { status: { type: 'string' }, checks: { type: 'object', additionalProperties: checkSchema } } }),
        503: envelopeSchema({ type: 'object', properties: { status: { type: 'string' }, checks: { type: 'object', additionalProperties: checkSchema } } }),
      },
    },
  }, async (_request, reply) => {
    const [postgres, redis, ...others] = await Promise.all([
      probe(() => services.readPool.query('SELECT 1')),
      probe(() => services.redis.ping()),
      ...extra.map((entry) => probe(entry.check)),
    ]);
    const checks: HealthChecks = { postgres: postgres!, redis: redis! };
    extra.forEach((entry, index) => { checks[entry.name] = others[index]!; });
    const status: HealthStatus = postgres === 'down' ? 'down' : Object.values(checks).every((c) => c === 'ok') ? 'ok' : 'degraded';
    return reply.code(status === 'down' ? 503 : 200).send({
      success: status !== 'down',
      message: status === 'ok' ? 'All dependencies answer.' : `Service is ${status}.`,
      data: { status, checks },
      ...(status === 'down' ? { code: 'DATABASE_UNAVAILABLE' } : {}),
    });
  });
}
