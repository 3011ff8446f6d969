/** Schemas of the reservation routes. */
import { reservationStatuses } from '../../../domain/reservation.js';
import { envelopeSchema } from '../../envelope.js';
import { auditFields, idParams, orderIdSchema, productIdSchema } from '../../schemas.js';


export const reservationIdParams = idParams('id');

const reservationProperties = {
  reservation_id: { type: 'integer' }, product_id: { type: 'integer' }, order_id: { type: 'string' },
  quantity: { type: 'integer' }, status: { type: 'string', enum: reservationStatuses },
  expires_at: { type: 'string', format: 'date-time' },
  created_at: { type: 'string', format: 'date-time' }, updated_at: { type: 'string', format: 'date-time' },
} as const;

/** A reservation with the product's stock right after the change that made or ended it. */
const reservationChangeSchema = {
  type: 'object',
  properties: {
    ...reservationProperties,
    stock: { type: 'integer' }, reserved: { type: 'integer' }, available: { type: 'integer' },
    version: { type: 'integer' }, log_id: { type: 'integer' }, replayed: { type: 'boolean' },
  },
} as const;

export function reserveSchema(quantityMax: number, ttlSecondsMax: number) {
  return {
    summary: 'Hold available stock for an order (idempotent by product_id + order_id)',
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
  };
}

export interface ReserveBody {
  product_id: number;
  quantity: number;
  order_id: string;
  ttl_seconds?: number;
  reason?: string | null;
  operator?: string | null;
  trace_id?: string;
}

export function finishReservationSchema(summary: string) {
  return {
    summary,
    params: reservationIdParams,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: { ...auditFields },
    },
    response: { 200: envelopeSchema(reservationChangeSchema) },
  };
}

export interface FinishReservationBody {
  reason?: string | null;
  operator?: string | null;
  trace_id?: string;
}

export const getReservationSchema = {
  summary: 'Read a reservation',
  params: reservationIdParams,
  response: { 200: envelopeSchema({ type: 'object', properties: reservationProperties }) },
} as const;
