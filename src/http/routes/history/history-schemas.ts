/** Schemas of the history routes. */
import type { LogOpType } from '../../../domain/stock-ops.js';
import { envelopeSchema } from '../../envelope.js';
import { codesOf, errorCodes } from '../../openapi-errors.js';
import { nextCursorSchema, pageQueryFields } from '../../pagination.js';
import { dateTime, exampleTime, int64, nullableString, orderIdSchema, productIdParams, traceIdSchema } from '../../schemas.js';

const logOpTypes = ['deduct', 'add', 'sync', 'init', 'reserve', 'release', 'confirm', 'fix', 'update'] as const satisfies readonly LogOpType[];

const logSchema = {
  title: 'LogRow',
  type: 'object', additionalProperties: false,
  required: ['id', 'product_id', 'op_type', 'delta', 'reserved_delta', 'before_stock', 'after_stock', 'order_id', 'reason',
    'operator', 'trace_id', 'created_at'],
  properties: {
    id: int64, product_id: int64, op_type: { type: 'string', enum: logOpTypes },
    delta: { ...int64, description: 'change of stock' },
    reserved_delta: { ...int64, description: 'change of reserved' },
    before_stock: int64, after_stock: int64,
    order_id: nullableString, reason: nullableString,
    operator: nullableString, trace_id: nullableString,
    created_at: dateTime,
  },
} as const;

const logExample = {
  id: 90210, product_id: 1001, op_type: 'deduct', delta: -5, reserved_delta: 0, before_stock: 100, after_stock: 95,
  order_id: 'order_12345', reason: 'order', operator: null, trace_id: 'trace_12345', created_at: exampleTime,
} as const;

const logPageSchema = envelopeSchema({
  title: 'LogPage',
  type: 'object', additionalProperties: false, required: ['items', 'next_cursor'],
  properties: { items: { type: 'array', items: logSchema }, next_cursor: nextCursorSchema },
}, { items: [logExample], next_cursor: null });

const tags = ['history'] as const;

export const productLogsSchema = {
  operationId: 'listProductLogs',
  tags,
  summary: "A product's log rows, newest first (keyset pagination)",
  description: 'Every applied change of the product wrote one row: syncs, reservations, updates, fixes.',
  params: productIdParams,
  querystring: { type: 'object', additionalProperties: false, properties: pageQueryFields },
  errorCodes: errorCodes('INVENTORY_NOT_FOUND', ...codesOf.read),
  response: { 200: logPageSchema },
} as const;

export const logsLookupSchema = {
  operationId: 'listLogsByOrderOrTrace',
  tags,
  summary: 'Log rows of one order_id or one trace_id (exactly one), newest first',
  description: 'Give exactly one of order_id and trace_id; keyset pagination as for a product\'s logs.',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      order_id: { ...orderIdSchema, description: 'The rows of this order' },
      trace_id: { ...traceIdSchema, description: 'The rows of this trace (a request\'s X-Trace-Id)' },
      ...pageQueryFields,
    },
  },
  errorCodes: errorCodes(...codesOf.read),
  response: { 200: logPageSchema },
} as const;
