/** Schemas of POST /api/v1/sync-stock: they validate requests and compile the response serialiser. */
import * as limits from '../../../limits.js';
import { envelopeSchema } from '../../envelope.js';
import { auditFields, orderIdSchema, productIdSchema, text, versionSchema } from '../../schemas.js';

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

export const changeResultSchema = {
  type: 'object',
  properties: {
    product_id: { type: 'integer' }, delta: { type: 'integer' },
    before_stock: { type: 'integer' }, after_stock: { type: 'integer' },
    stock: { type: 'integer' }, reserved: { type: 'integer' }, available: { type: 'integer' },
    version: { type: 'integer' }, log_id: { type: 'integer' }, replayed: { type: 'boolean' },
  },
} as const;

export function syncRouteSchema(maxDelta: number) {
  return {
    body: syncItemSchema(maxDelta),
    response: { 200: envelopeSchema(changeResultSchema) },
  };
}

export interface SyncBody {
  product_id: number;
  delta: number;
  order_id?: string;
  idempotency_key?: string;
  expected_version?: number;
  reason?: string | null;
  operator?: string | null;
  trace_id?: string;
}
