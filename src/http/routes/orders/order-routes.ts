/**
 * Order holds (docs/orders.md): a cart's lines held, confirmed, released or expired together.
 * Each route is one call of `app.orders`, one transaction over all of the order's lines.
 */
import type { OrderHold } from '../../../domain/order-hold.js';
import type { OrderAnswer } from '../../../orders/order-holds.js';
import { errors } from '../../../errors.js';
import { ok } from '../../envelope.js';
import type { RoutePlugin } from '../../route-plugin.js';
import { finishOrderSchema, getOrderSchema, holdOrderSchema } from './order-schemas.js';

export const orderRoutes: RoutePlugin = async (app) => {
  const settings = app.config.reservations;
  app.post('/orders/:orderId/holds', {
    schema: holdOrderSchema(app.config.inventory.max_delta, settings.ttl_seconds_max),
    config: { role: 'sync' },
  }, async (request, reply) => {
    const { orderId } = request.params;
    const body = request.body;
    const seen = new Set<number>();
    // Refused rather than summed: two lines of one product are more likely a client's mistake than
    // a wish, and summing would leave one line's reservation standing for two lines asked.
    for (const item of body.items) {
      if (seen.has(item.product_id)) throw errors.validation(`items: product ${item.product_id}`, 'is listed twice; list each product once with its whole quantity');
      seen.add(item.product_id);
    }
    const answer = await app.orders.hold({
      orderId,
      lines: body.items.map((item) => ({ productId: item.product_id, quantity: item.quantity })),
      ttlSeconds: body.ttl_seconds ?? settings.ttl_seconds_default,
      audit: { reason: body.reason ?? null, operator: body.operator ?? null, traceId: body.trace_id ?? request.traceId },
    });
    return reply.code(answer.replayed ? 200 : 201)
      .send(ok(viewOf(answer), answer.replayed ? 'This order is already held with these lines; this is that hold.' : 'Every line held.'));
  });

  // Confirm and release carry only audit fields, so a request without a body is accepted.
  const emptyBodyIsEmptyObject = async (request: { body: unknown }) => {
    request.body ??= {};
  };
  const finishRoute = (finish: 'confirm' | 'release', done: string, again: string) =>
    async (request: { params: { orderId: string }; body: { reason?: string | null; operator?: string | null; trace_id?: string }; traceId: string }) => {
      const answer = await app.orders.finish(request.params.orderId, finish, {
        reason: request.body.reason ?? null, operator: request.body.operator ?? null, traceId: request.body.trace_id ?? request.traceId,
      });
      return ok(viewOf(answer), answer.replayed ? again : done);
    };
  app.post('/orders/:orderId/confirm', {
    schema: finishOrderSchema('confirmOrderHold', 'Confirm every line of a held order',
      'Deducts every line from stock and reserved in one transaction, or none: an expired or released hold is 409 and changes nothing. A retry answers the confirmed hold.'),
    config: { role: 'sync' },
    preValidation: emptyBodyIsEmptyObject,
  }, finishRoute('confirm', 'Every line confirmed: stock deducted.', 'This order was already confirmed.'));
  app.post('/orders/:orderId/release', {
    schema: finishOrderSchema('releaseOrderHold', 'Release every line of a held order',
      'Returns every line to available in one transaction. A retry, or a release of an expired hold, answers the hold as it is; a confirmed order is 409.'),
    config: { role: 'sync' },
    preValidation: emptyBodyIsEmptyObject,
  }, finishRoute('release', 'Every line released.', 'Nothing of this order is held any more.'));

  app.get('/orders/:orderId', { schema: getOrderSchema, config: { role: 'read' } }, async (request) => {
    const hold = await app.orders.get(request.params.orderId);
    if (hold === null) throw errors.orderNotFound(request.params.orderId);
    return ok(holdView(hold, false));
  });
};

function viewOf(answer: OrderAnswer) {
  return holdView(answer.hold, answer.replayed);
}

function holdView(hold: OrderHold, replayed: boolean) {
  return {
    order_id: hold.orderId, status: hold.status, expires_at: hold.expiresAt, created_at: hold.createdAt, updated_at: hold.updatedAt,
    lines: hold.lines.map((line) => ({
      product_id: line.productId, quantity: line.quantity, reservation_id: line.reservationId, status: line.status,
    })),
    replayed,
  };
}
