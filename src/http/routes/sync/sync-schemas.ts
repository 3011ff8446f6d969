/** Schemas of POST /api/v1/sync-stock and its batch: they validate requests, type them and compile the response serialiser. */
import type { FromSchema } from 'json-schema-to-ts';
import * as limits from '../../../limits.js';
import { envelopeSchema } from '../../envelope.js';
import { codesOf, errorCodes } from '../../openapi-errors.js';
import { auditFields, int64, orderIdSchema, productIdSchema, text, traceIdSchema, versionSchema } from '../../schemas.js';

export function syncItemSchema(maxDelta: number) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['product_id', 'delta'],
    properties: {
      product_id: productIdSchema,
      delta: { ...int64, minimum: -maxDelta, maximum: maxDelta, not: { const: 0 }, description: 'non-zero: negative for an order, positive for a restock' },
      order_id: { ...orderIdSchema, description: 'keys the delta with its sign (deduct / add): a retry answers the first result' },
      idempotency_key: { ...text(limits.idempotencyKeyLengthMax), description: 'keys the delta when there is no order_id' },
      expected_version: { ...versionSchema, description: 'refuse (409 VERSION_CONFLICT) unless the product is at this version' },
      ...auditFields,
    },
  } as const;
}

/** One sync item as validated: the body of a sync, an item of a batch. */
export type SyncItem = FromSchema<ReturnType<typeof syncItemSchema>>;

export const changeResultSchema = {
  title: 'ChangeResult',
  type: 'object', additionalProperties: false,
  required: ['product_id', 'delta', 'before_stock', 'after_stock', 'stock', 'reserved', 'available', 'version', 'log_id', 'replayed'],
  properties: {
    product_id: int64, delta: int64,
    before_stock: { ...int64, description: 'stock before this delta' }, after_stock: { ...int64, description: 'stock after this delta' },
    stock: { ...int64, description: 'the product after the commit that holds this delta' }, reserved: int64, available: int64,
    version: int64, log_id: { ...int64, description: 'the log row of this change' },
    replayed: { type: 'boolean', description: 'true: the stored first result of a retried key' },
  },
} as const;

const syncExample = { product_id: 1001, delta: -5, order_id: 'order_12345', reason: 'order', trace_id: 'trace_12345' } as const;
const changeExample = {
  product_id: 1001, delta: -5, before_stock: 100, after_stock: 95, stock: 95, reserved: 0, available: 95, version: 2,
  log_id: 90210, replayed: false,
} as const;

/** What a delta can meet in the engine (src/engine/stock-plan-ops.ts, stock-plan.ts). */
const deltaCodes = errorCodes('VERSION_CONFLICT', 'IDEMPOTENCY_CONFLICT', ...codesOf.stockChange, ...codesOf.engine);
/** A batch item's own refusal; the item is answered in the batch's 200. */
export const syncItemCodes = errorCodes(...deltaCodes, 'INTERNAL_ERROR', 'SHUTTING_DOWN');

export function syncRouteSchema(maxDelta: number) {
  return {
    operationId: 'syncStock',
    tags: ['sync'],
    summary: 'Apply one stock delta',
    description: 'A signed delta (negative for an order, positive for a restock), applied through the product\'s actor. ' +
      'The 200 is sent only after the COMMIT that holds it; with order_id or idempotency_key a retry answers the first result.',
    body: { ...syncItemSchema(maxDelta), examples: [syncExample] },
    errorCodes: deltaCodes,
    response: { 200: envelopeSchema(changeResultSchema, changeExample, 'Stock updated.') },
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
      examples: [{ items: [syncExample, { product_id: 1002, delta: 100, idempotency_key: 'restock-2026-11-30-1002', reason: 'restock' }] }],
    },
    // Each item is applied or refused on its own, inside the 200: the batch itself only fails as a whole request.
    errorCodes: errorCodes(),
    response: {
      200: {
        ...envelopeSchema({
          title: 'SyncBatchResult',
          type: 'object', additionalProperties: false, required: ['applied', 'refused', 'results'],
          properties: {
            applied: int64,
            refused: int64,
            results: {
              type: 'array',
              description: 'one per item, in request order',
              items: {
                title: 'SyncItemResult',
                type: 'object',
                additionalProperties: false,
                required: ['success', 'message', 'data'],
                properties: {
                  success: { type: 'boolean' },
                  message: { type: 'string' },
                  code: { type: 'string', enum: syncItemCodes, description: 'set when the item was refused' },
                  data: { ...changeResultSchema, type: ['object', 'null'], description: 'null when the item was refused' },
                },
              },
            },
          },
        }, {
          applied: 1, refused: 1, results: [
            { success: true, message: 'Stock updated.', data: changeExample },
            { success: false, message: 'Product 1002 is locked; stock changes are refused until an operator sets it active.',
              code: 'INVENTORY_LOCKED', data: null },
          ],
        }, '1 of 2 items applied.'),
        // Sent when an item was refused OVERLOADED, as a single OVERLOADED answer would be.
        headers: { 'Retry-After': { type: 'integer' } },
      },
    },
  } as const;
}
