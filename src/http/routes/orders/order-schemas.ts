/** Schemas of the order-hold routes (docs/orders.md). */
import { orderHoldStatuses } from '../../../domain/order-hold.js';
import { reservationStatuses } from '../../../domain/reservation.js';
import * as limits from '../../../limits.js';
import { envelopeSchema } from '../../envelope.js';
import { auditFields, orderIdSchema, productIdSchema } from '../../schemas.js';

const tags = ['orders'] as const;

export const orderIdParams = {
  type: 'object', additionalProperties: false, required: ['orderId'],
  properties: { orderId: orderIdSchema },
} as const;

/** The hold and its lines; `replayed` when the order was already in that state (a retry). */
const orderHoldSchema = {
  type: 'object', additionalProperties: false,
  properties: {
    order_id: { type: 'string' },
    status: { type: 'string', enum: orderHoldStatuses },
    expires_at: { type: 'string', format: 'date-time' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    lines: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false,
        properties: {
          product_id: { type: 'integer' }, quantity: { type: 'integer' }, reservation_id: { type: 'integer' },
          status: { type: 'string', enum: reservationStatuses },
        },
      },
    },
    replayed: { type: 'boolean' },
  },
} as const;

export function holdOrderSchema(quantityMax: number, ttlSecondsMax: number) {
  return {
    operationId: 'holdOrder',
    tags,
    summary: `Hold every line of an order (up to ${limits.orderLinesMax}), or none`,
    description: 'One transaction reserves every line or nothing: 201 with the hold; 409 ORDER_HOLD_REFUSED with one reason ' +
      'per failing line (data.lines) and no line held. Idempotent by order id: the same lines again answer the hold (200, ' +
      'replayed); other lines under the same order id are 409 IDEMPOTENCY_CONFLICT. A product listed twice is refused (400).',
    params: orderIdParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['items'],
      properties: {
        items: {
          type: 'array', minItems: 1, maxItems: limits.orderLinesMax,
          items: {
            type: 'object', additionalProperties: false, required: ['product_id', 'quantity'],
            properties: { product_id: productIdSchema, quantity: { type: 'integer', minimum: 1, maximum: quantityMax } },
          },
        },
        ttl_seconds: { type: 'integer', minimum: 1, maximum: ttlSecondsMax },
        ...auditFields,
      },
    },
    response: { '2xx': envelopeSchema(orderHoldSchema) },
  } as const;
}

export function finishOrderSchema(operationId: string, summary: string, description: string) {
  return {
    operationId,
    tags,
    summary,
    description: `${description} The body (audit fields only) may be omitted.`,
    params: orderIdParams,
    body: { type: 'object', additionalProperties: false, properties: { ...auditFields } },
    response: { 200: envelopeSchema(orderHoldSchema) },
  } as const;
}

export const getOrderSchema = {
  operationId: 'getOrderHold',
  tags,
  summary: 'Read an order hold and its lines',
  description: 'The hold\'s status and expiry, and each line with its reservation and that reservation\'s status.',
  params: orderIdParams,
  response: { 200: envelopeSchema(orderHoldSchema) },
} as const;
