/** GET /api/v1/alerts: alerts newest first, filtered by status and type, keyset-paginated. */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../../services.js';
import { listAlerts } from '../../../store/postgres/alert-queries.js';
import { ok } from '../../envelope.js';
import { pageOf, parseCursor } from '../../pagination.js';
import { alertsRouteSchema, type AlertsQuery } from './alerts-schemas.js';

export async function alertsRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get<{ Querystring: AlertsQuery }>('/api/v1/alerts', { schema: alertsRouteSchema }, async (request) => {
    const query = request.query;
    const rows = await listAlerts(services.readPool, {
      status: query.status ?? null, type: query.type ?? null, beforeId: parseCursor(query.cursor), limit: query.limit + 1,
    });
    return ok(pageOf(rows, query.limit, (alert) => alert.id));
  });
}
