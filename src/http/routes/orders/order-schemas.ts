/** Schemas of the order-hold routes (docs/orders.md). */
import { orderHoldStatuses } from '../../../domain/order-hold.js';
import { reservationStatuses } from '../../../domain/reservation.js';
import * as limits from '../../../limits.js';
import { envelopeSchema } from '../../envelope.js';
import { codesOf, errorCodes, errorWithDataSchema } from '../../openapi-errors.js';
import { auditFields, dateTime, exampleTime, int32, int64, orderIdSchema, productIdSchema } from '../../schemas.js';

const tags = ['orders'] as const;

export const orderIdParams = {
  type: 'object', additionalProperties: false, required: ['orderId'],
  properties: { orderId: { ...orderIdSchema, description: 'The order id the hold was made under' } },
} as const;

const orderLineSchema = {
  title: 'OrderLine',
  type: 'object', additionalProperties: false, required: ['product_id', 'quantity', 'reservation_id', 'status'],
  properties: {
    product_id: int64, quantity: int64,
    reservation_id: { ...int64, description: 'the line\'s reservation (GET /api/v1/reservations/{id} shows it)' },
    status: { type: 'string', enum: reservationStatuses },
  },
} as const;

/** The hold and its lines; `replayed` when the order was already in that state (a retry). */
const orderHoldSchema = {
  title: 'OrderHold',
  type: 'object', additionalProperties: false,
  required: ['order_id', 'status', 'expires_at', 'created_at', 'updated_at', 'lines', 'replayed'],
  properties: {
    order_id: { type: 'string' },
    status: { type: 'string', enum: orderHoldStatuses },
    expires_at: { ...dateTime, description: 'a held order is expired (every line released) at this time' },
    created_at: dateTime,
    updated_at: dateTime,
    lines: { type: 'array', items: orderLineSchema, description: 'in product order' },
    replayed: { type: 'boolean', description: 'true: the order was already in this state; this is it as it is now' },
  },
} as const;

const refusedLineSchema = {
  title: 'OrderLineRefusal',
  type: 'object', additionalProperties: false, required: ['product_id', 'quantity', 'code', 'message'],
  properties: {
    product_id: int64, quantity: int64,
    code: { type: 'string', description: 'why this line cannot be held: INSUFFICIENT_STOCK, INVENTORY_NOT_FOUND, INVENTORY_LOCKED, INVENTORY_INACTIVE, RESERVATION_EXISTS' },
    message: { type: 'string' },
  },
} as const;

const holdRefusedSchema = {
  title: 'OrderHoldRefusal',
  type: 'object', additionalProperties: false, required: ['order_id', 'lines'],
  properties: { order_id: { type: 'string' }, lines: { type: 'array', items: refusedLineSchema, description: 'every line that cannot be held, in the order sent' } },
} as const;

const holdExample = (status: string, lineStatus: string) => ({
  order_id: 'order-5001', status, expires_at: '2026-11-30T08:15:00.000Z', created_at: exampleTime, updated_at: exampleTime,
  lines: [
    { product_id: 1001, quantity: 2, reservation_id: 501, status: lineStatus },
    { product_id: 1002, quantity: 1, reservation_id: 502, status: lineStatus },
  ],
  replayed: false,
});

/** Every order operation is one transaction of its own on a read-pool connection (src/orders/order-transaction.ts). */
const transactionCodes = errorCodes('OVERLOADED', ...codesOf.write);

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
            properties: { product_id: productIdSchema, quantity: { ...int64, minimum: 1, maximum: quantityMax } },
          },
        },
        ttl_seconds: { ...int32, minimum: 1, maximum: ttlSecondsMax, description: 'how long the order is held (reservations.ttl_seconds_default)' },
        ...auditFields,
      },
      examples: [{ items: [{ product_id: 1001, quantity: 2 }, { product_id: 1002, quantity: 1 }], ttl_seconds: 900, trace_id: 'checkout-5001' }],
    },
    errorCodes: errorCodes('ORDER_HOLD_REFUSED', 'IDEMPOTENCY_CONFLICT', ...transactionCodes),
    response: {
      200: envelopeSchema(orderHoldSchema),
      201: envelopeSchema(orderHoldSchema, holdExample('held', 'pending'), 'Every line held.'),
      409: errorWithDataSchema(holdRefusedSchema, 'ORDER_HOLD_REFUSED with every line that cannot be held and why; IDEMPOTENCY_CONFLICT without data.'),
    },
  } as const;
}

export function finishOrderSchema(operationId: 'confirmOrderHold' | 'releaseOrderHold', summary: string, description: string) {
  const confirms = operationId === 'confirmOrderHold';
  return {
    operationId,
    tags,
    summary,
    description: `${description} The body (audit fields only) may be omitted.`,
    params: orderIdParams,
    body: {
      type: 'object', additionalProperties: false, properties: { ...auditFields },
      examples: [confirms ? { reason: 'order paid', operator: 'order-service' } : { reason: 'cart abandoned' }],
    },
    bodyOptional: true,
    errorCodes: errorCodes('ORDER_NOT_FOUND', 'ORDER_NOT_HELD',
      ...(confirms ? errorCodes('ORDER_HOLD_EXPIRED', 'INVENTORY_LOCKED', 'INVENTORY_INACTIVE') : []), ...transactionCodes),
    response: { 200: envelopeSchema(orderHoldSchema, confirms ? holdExample('confirmed', 'confirmed') : holdExample('released', 'released')) },
  } as const;
}

export const getOrderSchema = {
  operationId: 'getOrderHold',
  tags,
  summary: 'Read an order hold and its lines',
  description: 'The hold\'s status and expiry, and each line with its reservation and that reservation\'s status.',
  params: orderIdParams,
  errorCodes: errorCodes('ORDER_NOT_FOUND', 'OVERLOADED', ...codesOf.read),
  response: { 200: envelopeSchema(orderHoldSchema, holdExample('held', 'pending')) },
} as const;
