/**
 * Reservations: reserve raises `reserved` (available must cover it), confirm turns a pending
 * reservation into a deduction, release frees it. Each is an op of the product's actor, so it is
 * judged in order with every other change of that product and committed in a flush.
 */
import type pg from 'pg';
import type { FromSchema } from 'json-schema-to-ts';
import { assert } from '../../../assert.js';
import { databaseFailureOf, errors } from '../../../errors.js';
import type { ChangeResult } from '../../../domain/change-result.js';
import type { FinishReservationOp } from '../../../domain/stock-ops.js';
import { selectReservation } from '../../../store/postgres/reservation-queries.js';
import { changeBody, reservationBody, type ReservationChangeBody } from '../../change-body.js';
import { ok } from '../../envelope.js';
import type { RoutePlugin } from '../../route-plugin.js';
import { finishReservationSchema, getReservationSchema, reserveSchema } from './reservation-schemas.js';

type FinishReservationBody = FromSchema<ReturnType<typeof finishReservationSchema>['body']>;

export const reservationRoutes: RoutePlugin = async (app) => {
  const settings = app.config.reservations;
  app.post('/reservations', {
    schema: reserveSchema(app.config.inventory.max_delta, settings.ttl_seconds_max),
    config: { role: 'sync' },
  }, async (request, reply) => {
    const body = request.body;
    const result = await app.engine.submit({
      kind: 'reserve', productId: body.product_id, quantity: body.quantity, orderId: body.order_id,
      ttlSeconds: body.ttl_seconds ?? settings.ttl_seconds_default,
      reason: body.reason ?? null, operator: body.operator ?? null, traceId: body.trace_id ?? request.traceId,
    });
    const data = await changeView(app.readPool, result);
    return reply.code(result.replayed ? 200 : 201)
      .send(ok(data, result.replayed ? 'This order already reserved this product; this is that reservation.' : 'Reserved.'));
  });

  const finish = (kind: 'confirm' | 'release', message: string) =>
    async (request: { params: { id: number }; body: FinishReservationBody; traceId: string }) => {
      // Nothing is submitted yet: a failed read here has applied nothing.
      const reservation = await selectReservation(app.readPool, request.params.id).catch((error: unknown) => {
        throw databaseFailureOf(error) ?? error;
      });
      if (reservation === null) throw errors.reservationNotFound(request.params.id);
      // A line of an order hold changes only with its order (all lines or none); whether a row is
      // a line never changes, so this check made before submitting stays true.
      if (reservation.hold_order_id !== null) throw errors.reservationInOrder(reservation.reservation_id, reservation.hold_order_id);
      const op: FinishReservationOp = {
        kind, productId: reservation.product_id, reservationId: reservation.reservation_id,
        reason: request.body.reason ?? null, operator: request.body.operator ?? null,
        traceId: request.body.trace_id ?? request.traceId,
      };
      return ok(await changeView(app.readPool, await app.engine.submit(op)), message);
    };
  // Confirm and release carry only audit fields, so a request without a body is accepted.
  const emptyBodyIsEmptyObject = async (request: { body: unknown }) => {
    request.body ??= {};
  };
  app.post('/reservations/:id/confirm', {
    schema: finishReservationSchema('confirmReservation', 'Turn a pending reservation into a deduction of stock',
      'Deducts the reserved quantity from stock and ends the reservation as confirmed.'),
    config: { role: 'sync' },
    preValidation: emptyBodyIsEmptyObject,
  }, finish('confirm', 'Reservation confirmed: stock deducted.'));
  app.post('/reservations/:id/release', {
    schema: finishReservationSchema('releaseReservation', 'Free a pending reservation',
      'Returns the reserved quantity to available and ends the reservation as released.'),
    config: { role: 'sync' },
    preValidation: emptyBodyIsEmptyObject,
  }, finish('release', 'Reservation released.'));

  app.get('/reservations/:id', { schema: getReservationSchema, config: { role: 'read' } }, async (request) => {
    const reservation = await selectReservation(app.readPool, request.params.id);
    if (reservation === null) throw errors.reservationNotFound(request.params.id);
    return ok(reservation);
  });
};

/**
 * The reservation with the product's stock after the change. A change committed now is answered
 * from what the engine committed, so a failure after the commit cannot turn the answer into
 * "nothing was applied". A replay shows the reservation as it is now (confirmed, released …):
 * that needs a read, and if the read fails the answer says to retry, which replays again.
 */
async function changeView(readPool: pg.Pool, result: ChangeResult): Promise<ReservationChangeBody> {
  assert(result.reservationId !== null, 'a reservation op answered without its reservation');
  if (!result.replayed) {
    assert(result.reservation !== null, 'a committed reservation change answered without its reservation');
    return { ...changeBody(result), ...reservationBody(result.reservation) };
  }
  const current = await selectReservation(readPool, result.reservationId).catch(() => {
    throw errors.commitOutcomeUnknown();
  });
  assert(current !== null, 'a committed reservation has no row');
  return { ...changeBody(result), ...current };
}
