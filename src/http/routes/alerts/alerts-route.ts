/**
 * GET /api/v1/alerts: alerts newest first, filtered by status and type, keyset-paginated.
 * POST /api/v1/alerts/:alertId/ack: an operator closes a pending alert as `sent` (handled) or
 * `ignored` (dismissed); a write route, so it needs the bearer token when one is configured.
 */
import type { FastifyInstance } from 'fastify';
import { errors } from '../../../errors.js';
import type { Services } from '../../../services.js';
import { closeAlert, listAlerts, selectAlert } from '../../../store/postgres/alert-queries.js';
import { ok } from '../../envelope.js';
import { pageOf, parseCursor } from '../../pagination.js';
import { ackRouteSchema, alertsRouteSchema, type AckBody, type AlertsQuery } from './alerts-schemas.js';

export async function alertsRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get<{ Querystring: AlertsQuery }>('/api/v1/alerts', { schema: alertsRouteSchema }, async (request) => {
    const query = request.query;
    const rows = await listAlerts(services.readPool, {
      status: query.status ?? null, type: query.type ?? null, beforeId: parseCursor(query.cursor), limit: query.limit + 1,
    });
    return ok(pageOf(rows, query.limit, (alert) => alert.id));
  });

  app.post<{ Params: { alertId: number }; Body: AckBody }>('/api/v1/alerts/:alertId/ack', { schema: ackRouteSchema }, async (request) => {
    const { alertId } = request.params;
    const closed = await closeAlert(services.readPool, alertId, request.body.status);
    if (closed === null) {
      const alert = await selectAlert(services.readPool, alertId);
      throw alert === null ? errors.alertNotFound(alertId) : errors.alertNotPending(alertId, alert.status);
    }
    request.log.info({ alert_id: alertId, product_id: closed.product_id, status: closed.status, operator: request.body.operator ?? 'api' },
      'alert acknowledged');
    return ok(closed, `Alert ${alertId} is ${closed.status}.`);
  });
}
