/**
 * GET /metrics: the app's Prometheus registry in the text exposition format. Open (Prometheus
 * scrapes without a secret). Gauges that read PostgreSQL (pending diffs) or the pools do so now,
 * at scrape time.
 */
import { errorCodes } from '../../openapi-errors.js';
import type { RoutePlugin } from '../../route-plugin.js';

const metricsSchema = {
  operationId: 'getMetrics',
  tags: ['system'],
  summary: 'Prometheus metrics',
  description: 'Prometheus metrics (text exposition format 0.0.4).',
  errorCodes: errorCodes(),
  response: {
    200: {
      description: 'Prometheus text',
      content: { 'text/plain': { schema: { type: 'string' }, example: '# HELP inventory_sync_total Sync requests\n' } },
    },
  },
} as const;

export const metricsRoute: RoutePlugin = async (app) => {
  const registry = app.metrics.registry;
  app.get('/metrics', { schema: metricsSchema }, async (_request, reply) => {
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
};
