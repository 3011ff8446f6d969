/** Schemas of POST /api/v1/sync-stock and its batch: they validate requests, type them and compile the response serialiser. */
import type { FromSchema } from 'json-schema-to-ts';
import * as limits from '../../../limits.js';
import { envelopeSchema } from '../../envelope.js';
import { auditFields, orderIdSchema, productIdSchema, text, traceIdSchema, versionSchema } from '../../schemas.js';

export function syncItemSchema(maxDelta: number) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['product_id', 'delta'],
    properties: {
      product_id: productIdSchema,
      delta: { type: 'integer', minimum: -maxDelta, maximum: maxDelta, not: { const: 0 } },
      order_id: orderIdSchema,
      idempotency_key: text(limits.idempotencyKeyLengthMax),
      expected_version: versionSchema,
      ...auditFields,
    },
  } as const;
}

/** One sync item as validated: the body of a sync, an item of a batch. */
export type SyncItem = FromSchema<ReturnType<typeof syncItemSchema>>;

export const changeResultSchema = {
  type: 'object', additionalProperties: false,
  properties: {
    product_id: { type: 'integer' }, delta: { type: 'integer' },
    before_stock: { type: 'integer' }, after_stock: { type: 'integer' },
    stock: { type: 'integer' }, reserved: { type: 'integer' }, available: { type: 'integer' },
    version: { type: 'integer' }, log_id: { type: 'integer' }, replayed: { type: 'boolean' },
  },
} as const;

export function syncRouteSchema(maxDelta: number) {
  return {
    operationId: 'syncStock',
    tags: ['sync'],
    summary: 'Apply one stock delta',
    description: 'A signed delta (negative for an order, positive for a restock), applied through the product\'s actor. ' +
      'The 200 is sent only after the COMMIT that holds it; with order_id or idempotency_key a retry answers the first result.',
    body: syncItemSchema(maxDelta),
    response: { 200: envelopeSchema(changeResultSchema) },
  } as const;
}

export function syncBatchSchema(maxDelta: number) {
  return {
    operationId: 'syncStockBatch',
    tags: ['sync'],
    summary: `Apply up to ${limits.batchItemsMax} stock deltas; each item is applied or refused on its own`,
    description: 'Items go to their products\' actors in request order; the answer lists one result per item, in request order. ' +
      'Items refused for load are marked OVERLOADED and the answer carries Retry-After.',
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['items'],
      properties: {
        items: { type: 'array', minItems: 1, maxItems: limits.batchItemsMax, items: syncItemSchema(maxDelta) },
        trace_id: traceIdSchema,
      },
    },
    response: {
      200: envelopeSchema({
        type: 'object', additionalProperties: false,
        properties: {
          applied: { type: 'integer' },
          refused: { type: 'integer' },
          results: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['success', 'message'],
              properties: {
                success: { type: 'boolean' },
                message: { type: 'string' },
                code: { type: 'string' },
                data: { ...changeResultSchema, type: ['object', 'null'] },
              },
            },
          },
        },
      }),
    },
  } as const;
}
