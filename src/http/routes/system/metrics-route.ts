/**
 * GET /metrics: the app's Prometheus registry in the text exposition format. A read, so it stays
 * open when `server.auth_token` is set (Prometheus scrapes without a secret). Gauges that read
 * PostgreSQL (pending diffs) or the pools do so now, at scrape time.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../../services.js';

export async function metricsRoute(app: FastifyInstance, services: Services): Promise<void> {
  const registry = services.metrics.registry;
  app.get('/metrics', {
    schema: {
      description: 'Prometheus metrics (text exposition format 0.0.4).',
      response: { 200: { description: 'Prometheus text', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  }, async (_request, reply) => {
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
}
