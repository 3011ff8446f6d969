/** GET /api/v1/alerts: alerts newest first, filtered by status and type, keyset-paginated. */
import type { FastifyInstance } from 'fastify';
import * as limits from '../../../limits.js';
import type { Services } from '../../../services.js';
import { listAlerts } from '../../../store/postgres/alert-queries.js';
import { ok } from '../../envelope.js';
import { alertsRouteSchema, type AlertsQuery } from './alerts-schemas.js';

export async function alertsRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get<{ Querystring: AlertsQuery }>('/api/v1/alerts', { schema: alertsRouteSchema }, async (request) => {
    const query = request.query;
    const limit = query.limit ?? limits.pageRowsDefault;
    const alerts = await listAlerts(services.readPool, {
      status: query.status ?? null, type: query.type ?? null, beforeId: query.cursor ?? null, limit,
    });
    const nextCursor = alerts.length === limit ? alerts.at(-1)!.id : null;
    return ok({ alerts, next_cursor: nextCursor });
  });
}
