/** Schemas of the reservation routes. */
import { reservationStatuses } from '../../../domain/reservation.js';
import { envelopeSchema } from '../../envelope.js';
import { auditFields, idParams, orderIdSchema, productIdSchema } from '../../schemas.js';

const tags = ['reservations'] as const;

export const reservationIdParams = idParams('id');

const reservationProperties = {
  reservation_id: { type: 'integer' }, product_id: { type: 'integer' }, order_id: { type: 'string' },
  quantity: { type: 'integer' }, status: { type: 'string', enum: reservationStatuses },
  expires_at: { type: 'string', format: 'date-time' },
  created_at: { type: 'string', format: 'date-time' }, updated_at: { type: 'string', format: 'date-time' },
  /** Set when the reservation is a line of an order hold (it then changes only with its order). */
  hold_order_id: { type: ['string', 'null'] },
} as const;

/** A reservation with the product's stock right after the change that made or ended it. */
const reservationChangeSchema = {
  type: 'object', additionalProperties: false,
  properties: {
    ...reservationProperties,
    stock: { type: 'integer' }, reserved: { type: 'integer' }, available: { type: 'integer' },
    version: { type: 'integer' }, log_id: { type: 'integer' }, replayed: { type: 'boolean' },
  },
} as const;

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
        quantity: { type: 'integer', minimum: 1, maximum: quantityMax },
        order_id: orderIdSchema,
        ttl_seconds: { type: 'integer', minimum: 1, maximum: ttlSecondsMax },
        ...auditFields,
      },
    },
    response: { '2xx': envelopeSchema(reservationChangeSchema) },
  } as const;
}

export function finishReservationSchema(operationId: string, summary: string, description: string) {
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
    },
    response: { 200: envelopeSchema(reservationChangeSchema) },
  } as const;
}

export const getReservationSchema = {
  operationId: 'getReservation',
  tags,
  summary: 'Read a reservation',
  description: 'Its product, order, quantity, status and expiry.',
  params: reservationIdParams,
  response: { 200: envelopeSchema({ type: 'object', additionalProperties: false, properties: reservationProperties }) },
} as const;
