/** Schemas of the reservation routes. */
import { reservationStatuses } from '../../../domain/reservation.js';
import { envelopeSchema } from '../../envelope.js';
import { codesOf, errorCodes } from '../../openapi-errors.js';
import { auditFields, dateTime, exampleTime, idParams, int32, int64, nullableString, orderIdSchema, productIdSchema } from '../../schemas.js';

const tags = ['reservations'] as const;

export const reservationIdParams = idParams('id', 'The reservation id');

const reservationRequired = [
  'reservation_id', 'product_id', 'order_id', 'quantity', 'status', 'expires_at', 'created_at', 'updated_at', 'hold_order_id',
] as const;
const reservationProperties = {
  reservation_id: int64, product_id: int64, order_id: { type: 'string' },
  quantity: int64, status: { type: 'string', enum: reservationStatuses },
  expires_at: { ...dateTime, description: 'a pending reservation is released (expired) at this time' },
  created_at: dateTime, updated_at: dateTime,
  hold_order_id: { ...nullableString, description: 'the order hold this reservation is a line of (it then changes only with its order, docs/orders.md); null for a single reservation' },
} as const;

export const reservationSchema = {
  title: 'Reservation',
  type: 'object', additionalProperties: false, required: reservationRequired, properties: reservationProperties,
} as const;

/** A reservation with the product's stock right after the change that made or ended it. */
export const reservationChangeSchema = {
  title: 'ReservationChange',
  type: 'object', additionalProperties: false,
  required: [...reservationRequired, 'stock', 'reserved', 'available', 'version', 'log_id', 'replayed'],
  properties: {
    ...reservationProperties,
    stock: int64, reserved: int64, available: int64,
    version: int64, log_id: int64,
    replayed: { type: 'boolean', description: 'true: this order had already reserved this product; this is that reservation' },
  },
} as const;

const reservationExample = {
  reservation_id: 501, product_id: 1001, order_id: 'order_12345', quantity: 2, status: 'pending',
  expires_at: '2026-11-30T08:15:00.000Z', created_at: exampleTime, updated_at: exampleTime, hold_order_id: null,
} as const;
const changeExample = (status: string, stock: number, reserved: number) => ({
  ...reservationExample, status, stock, reserved, available: stock - reserved, version: 8, log_id: 90211, replayed: false,
});

/** What a change of a reservation can meet in the engine (src/engine/stock-plan-ops.ts). */
const reservationOpCodes = errorCodes('IDEMPOTENCY_CONFLICT', ...codesOf.engine, ...codesOf.notNaive);

export function reserveSchema(quantityMax: number, ttlSecondsMax: number) {
  return {
    operationId: 'reserveStock',
    tags,
    summary: 'Hold available stock for an order (idempotent by product_id + order_id)',
    description: 'Raises reserved by quantity when available covers it; 201 for a new reservation, 200 with the same ' +
      'reservation when this order already reserved this product. An unconfirmed reservation is released at expires_at.',
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['product_id', 'quantity', 'order_id'],
      properties: {
        product_id: productIdSchema,
        quantity: { ...int64, minimum: 1, maximum: quantityMax },
        order_id: orderIdSchema,
        ttl_seconds: { ...int32, minimum: 1, maximum: ttlSecondsMax, description: 'how long it is held (reservations.ttl_seconds_default)' },
        ...auditFields,
      },
      examples: [{ product_id: 1001, quantity: 2, order_id: 'order_12345', ttl_seconds: 900 }],
    },
    errorCodes: errorCodes('INSUFFICIENT_STOCK', 'INVENTORY_LOCKED', 'INVENTORY_INACTIVE', 'RESERVATION_EXISTS', ...reservationOpCodes),
    response: {
      200: envelopeSchema(reservationChangeSchema),
      201: envelopeSchema(reservationChangeSchema, changeExample('pending', 95, 2), 'Reserved.'),
    },
  } as const;
}

export function finishReservationSchema(operationId: 'confirmReservation' | 'releaseReservation', summary: string, description: string) {
  const confirms = operationId === 'confirmReservation';
  return {
    operationId,
    tags,
    summary,
    description: `${description} The body (audit fields only) may be omitted.`,
    params: reservationIdParams,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: { ...auditFields },
      examples: [{ reason: 'order paid', operator: 'order-service' }],
    },
    bodyOptional: true,
    // Only a confirm deducts stock, so only a confirm is judged against the product's status.
    errorCodes: errorCodes('RESERVATION_NOT_FOUND', 'RESERVATION_NOT_PENDING', 'RESERVATION_EXPIRED', 'RESERVATION_IN_ORDER', ...reservationOpCodes,
      ...(confirms ? errorCodes('INVENTORY_LOCKED', 'INVENTORY_INACTIVE') : [])),
    response: {
      200: envelopeSchema(reservationChangeSchema, confirms ? changeExample('confirmed', 93, 0) : changeExample('released', 95, 0)),
    },
  } as const;
}

export const getReservationSchema = {
  operationId: 'getReservation',
  tags,
  summary: 'Read a reservation',
  description: 'Its product, order, quantity, status and expiry.',
  params: reservationIdParams,
  errorCodes: errorCodes('RESERVATION_NOT_FOUND', ...codesOf.read),
  response: { 200: envelopeSchema(reservationSchema, reservationExample) },
} as const;
