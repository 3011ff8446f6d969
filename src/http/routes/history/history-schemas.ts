/** Schemas of the history routes. */
import { envelopeSchema } from '../../envelope.js';
import { nextCursorSchema, pageQueryFields } from '../../pagination.js';
import { orderIdSchema, productIdParams, traceIdSchema } from '../../schemas.js';

const logSchema = {
  type: 'object', additionalProperties: false,
  properties: {
    id: { type: 'integer' }, product_id: { type: 'integer' }, op_type: { type: 'string' },
    delta: { type: 'integer', description: 'change of stock' },
    reserved_delta: { type: 'integer', description: 'change of reserved' },
    before_stock: { type: 'integer' }, after_stock: { type: 'integer' },
    order_id: { type: ['string', 'null'] }, reason: { type: ['string', 'null'] },
    operator: { type: ['string', 'null'] }, trace_id: { type: ['string', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
  },
} as const;

const logPageSchema = envelopeSchema({
  type: 'object', additionalProperties: false,
  properties: { items: { type: 'array', items: logSchema }, next_cursor: nextCursorSchema },
});

const tags = ['history'] as const;

export const productLogsSchema = {
  operationId: 'listProductLogs',
  tags,
  summary: "A product's log rows, newest first (keyset pagination)",
  description: 'Every applied change of the product wrote one row: syncs, reservations, updates, fixes.',
  params: productIdParams,
  querystring: { type: 'object', additionalProperties: false, properties: pageQueryFields },
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
      order_id: orderIdSchema,
      trace_id: traceIdSchema,
      ...pageQueryFields,
    },
  },
  response: { 200: logPageSchema },
} as const;
