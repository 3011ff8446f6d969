/**
 * GET /alerts: alerts newest first, filtered by status and type, keyset-paginated.
 * POST /alerts/:alertId/ack: an operator closes an open alert as `closed` (handled; `sent`, the
 * older spelling, means the same) or `ignored` (dismissed).
 */
import { errors } from '../../../errors.js';
import { closeAlert, listAlerts, selectAlert } from '../../../store/postgres/alert-queries.js';
import { ok } from '../../envelope.js';
import { pageOf, parseCursor } from '../../pagination.js';
import type { RoutePlugin } from '../../route-plugin.js';
import { ackRouteSchema, alertsRouteSchema } from './alerts-schemas.js';

export const alertsRoutes: RoutePlugin = async (app) => {
  app.get('/alerts', { schema: alertsRouteSchema, config: { role: 'read' } }, async (request) => {
    const query = request.query;
    const rows = await listAlerts(app.readPool, {
      status: query.status ?? null, type: query.type ?? null, beforeId: parseCursor(query.cursor), limit: query.limit + 1,
    });
    return ok(pageOf(rows, query.limit, (alert) => alert.id));
  });

  app.post('/alerts/:alertId/ack', { schema: ackRouteSchema, config: { role: 'operator' } }, async (request) => {
    const { alertId } = request.params;
    // `sent` is how this route spelt "handled" before webhooks gave `sent` its own meaning.
    const status = request.body.status === 'sent' ? 'closed' : request.body.status;
    const closed = await closeAlert(app.readPool, alertId, status, app.eventRoutes);
    if (closed === null) {
      const alert = await selectAlert(app.readPool, alertId);
      throw alert === null ? errors.alertNotFound(alertId) : errors.alertNotPending(alertId, alert.status);
    }
    request.log.info({ alert_id: alertId, product_id: closed.product_id, status: closed.status, operator: request.body.operator ?? 'api' },
      'alert acknowledged');
    return ok(closed, `Alert ${alertId} is ${closed.status}.`);
  });
};
