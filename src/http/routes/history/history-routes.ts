/** History: the log rows every applied change wrote, newest first, by product or by order / trace. */
import { errors } from '../../../errors.js';
import { selectInventory } from '../../../store/postgres/inventory-queries.js';
import { selectLogsBy, selectProductLogs, type LogLookup } from '../../../store/postgres/log-queries.js';
import { ok } from '../../envelope.js';
import { pageOf, parseCursor } from '../../pagination.js';
import type { RoutePlugin } from '../../route-plugin.js';
import { logsLookupSchema, productLogsSchema } from './history-schemas.js';

export const historyRoutes: RoutePlugin = async (app) => {
  app.get('/inventory/:productId/logs', { schema: productLogsSchema, config: { role: 'read' } }, async (request) => {
    const { productId } = request.params;
    const cursor = parseCursor(request.query.cursor);
    const rows = await selectProductLogs(app.readPool, productId, cursor, request.query.limit + 1);
    // An empty first page may mean the product does not exist: say so rather than list nothing.
    if (rows.length === 0 && cursor === null && (await selectInventory(app.readPool, productId)) === null) {
      throw errors.inventoryNotFound(productId);
    }
    return ok(pageOf(rows, request.query.limit, (row) => row.id));
  });

  app.get('/logs', { schema: logsLookupSchema, config: { role: 'read' } }, async (request) => {
    const { order_id: orderId, trace_id: traceId } = request.query;
    if ((orderId === undefined) === (traceId === undefined)) {
      throw errors.invalidRequest('Give exactly one of querystring.order_id or querystring.trace_id.');
    }
    const lookup: LogLookup = orderId !== undefined ? { by: 'order_id', value: orderId } : { by: 'trace_id', value: traceId! };
    const rows = await selectLogsBy(app.readPool, lookup, parseCursor(request.query.cursor), request.query.limit + 1);
    return ok(pageOf(rows, request.query.limit, (row) => row.id));
  });
};
