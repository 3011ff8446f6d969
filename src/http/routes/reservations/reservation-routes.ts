/**
 * Reservations: reserve raises `reserved` (available must cover it), confirm turns a pending
 * reservation into a deduction, release frees it. Each is an op of the product's actor, so it is
 * judged in order with every other change of that product and committed in a flush.
 */
import type { FastifyInstance } from 'fastify';
import { assert } from '../../../assert.js';
import { databaseFailureOf, errors } from '../../../errors.js';
import type { ChangeResult } from '../../../domain/change-result.js';
import type { FinishReservationOp } from '../../../domain/stock-ops.js';
import type { Services } from '../../../services.js';
import { selectReservation } from '../../../store/postgres/reservation-queries.js';
import { changeBody, reservationBody, type ChangeBody, type ReservationBody } from '../../change-body.js';
import { ok } from '../../envelope.js';
import {
  finishReservationSchema, getReservationSchema, reserveSchema, type FinishReservationBody, type ReserveBody,
} from './reservation-schemas.js';

export async function reservationRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const settings = services.config.reservations;
  app.post<{ Body: ReserveBody }>('/api/v1/reservations', {
    schema: reserveSchema(services.config.inventory.max_delta, settings.ttl_seconds_max),
  }, async (request, reply) => {
    const body = request.body;
    const result = await services.engine.submit({
      kind: 'reserve', productId: body.product_id, quantity: body.quantity, orderId: body.order_id,
      ttlSeconds: body.ttl_seconds ?? settings.ttl_seconds_default,
      reason: body.reason ?? null, operator: body.operator ?? null, traceId: body.trace_id ?? request.traceId,
    });
    const data = await changeView(services, result);
    return reply.code(result.replayed ? 200 : 201)
      .send(ok(data, result.replayed ? 'This order already reserved this product; this is that reservation.' : 'Reserved.'));
  });

  const finish = (kind: 'confirm' | 'release', message: string) =>
    async (request: { params: { id: number }; body: FinishReservationBody; traceId: string }) => {
      // Nothing is submitted yet: a failed read here has applied nothing.
      const reservation = await selectReservation(services.readPool, request.params.id).catch((error: unknown) => {
        throw databaseFailureOf(error) ?? error;
      });
      if (reservation === null) throw errors.reservationNotFound(request.params.id);
      const op: FinishReservationOp = {
        kind, productId: reservation.product_id, reservationId: reservation.reservation_id,
        reason: request.body.reason ?? null, operator: request.body.operator ?? null,
        traceId: request.body.trace_id ?? request.traceId,
      };
      return ok(await changeView(services, await services.engine.submit(op)), message);
    };
  // Confirm and release carry only audit fields, so a request without a body is accepted.
  const emptyBodyIsEmptyObject = async (request: { body: unknown }) => {
    request.body ??= {};
  };
  app.post<{ Params: { id: number }; Body: FinishReservationBody }>('/api/v1/reservations/:id/confirm', {
    schema: finishReservationSchema('Turn a pending reservation into a deduction of stock'),
    preValidation: emptyBodyIsEmptyObject,
  }, finish('confirm', 'Reservation confirmed: stock deducted.'));
  app.post<{ Params: { id: number }; Body: FinishReservationBody }>('/api/v1/reservations/:id/release', {
    schema: finishReservationSchema('Free a pending reservation'),
    preValidation: emptyBodyIsEmptyObject,
  }, finish('release', 'Reservation released.'));

  app.get<{ Params: { id: number } }>('/api/v1/reservations/:id', { schema: getReservationSchema }, async (request) => {
    const reservation = await selectReservation(services.readPool, request.params.id);
    if (reservation === null) throw errors.reservationNotFound(request.params.id);
    return ok(reservation);
  });
}

/**
 * The reservation with the product's stock after the change. A change committed now is answered
 * from what the engine committed, so a failure after the commit cannot turn the answer into
 * "nothing was applied". A replay shows the reservation as it is now (confirmed, released …):
 * that needs a read, and if the read fails the answer says to retry, which replays again.
 */
async function changeView(services: Services, result: ChangeResult): Promise<ReservationBody & ChangeBody> {
  assert(result.reservationId !== null, 'a reservation op answered without its reservation');
  if (!result.replayed) {
    assert(result.reservation !== null, 'a committed reservation change answered without its reservation');
    return { ...changeBody(result), ...reservationBody(result.reservation) };
  }
  const current = await selectReservation(services.readPool, result.reservationId).catch(() => {
    throw errors.commitOutcomeUnknown();
  });
  assert(current !== null, 'a committed reservation has no row');
  return { ...changeBody(result), ...current };
}
