/** JSON-schema pieces shared by several routes, each bounded by `limits.ts`. */
import * as limits from '../limits.js';

/** Positive ids that fit a JavaScript number exactly (products, reservations, diffs, log rows). */
export const idSchema = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;
export const productIdSchema = idSchema;
export const versionSchema = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;
export const quantitySchema = { type: 'integer', minimum: 0, maximum: limits.stockMax } as const;
/** PostgreSQL text cannot hold NUL; refusing it here makes it a 400, not a failed statement. */
export const noNulPattern = '^[^\\u0000]*$';
/** Trace ids travel in an HTTP header, so printable ASCII only. */
export const traceIdPattern = '^[\\x21-\\x7e]+$';
/** An ISO 8601 instant with its zone (`2026-11-30T08:00:00Z`, `…08:00:00.250+01:00`): a moment, not a local time. */
export const instantPattern = '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2})$';
export const instantSchema = { type: 'string', format: 'date-time', pattern: instantPattern } as const;
export const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength, pattern: noNulPattern }) as const;
export const optionalText = (maxLength: number) => ({ type: ['string', 'null'], maxLength, pattern: noNulPattern }) as const;

export const traceIdSchema = { type: 'string', minLength: 1, maxLength: limits.traceIdLengthMax, pattern: traceIdPattern } as const;
export const orderIdSchema = text(limits.orderIdLengthMax);
export const productNameSchema = { type: 'string', maxLength: limits.productNameLengthMax, pattern: noNulPattern } as const;

/** Fields every write may carry for the log and the trace. */
export const auditFields = {
  reason: optionalText(limits.reasonLengthMax),
  operator: optionalText(limits.operatorLengthMax),
  trace_id: traceIdSchema,
} as const;

/** Path parameters holding one positive id, under the given name. */
export function idParams<Name extends string>(name: Name) {
  return {
    type: 'object', additionalProperties: false, required: [name],
    properties: { [name]: idSchema } as Record<Name, typeof idSchema>,
  } as const;
}

export const productIdParams = idParams('productId');

export const inventorySchema = {
  type: 'object', additionalProperties: false,
  properties: {
    product_id: { type: 'integer' }, product_name: { type: 'string' },
    stock: { type: 'integer' }, reserved: { type: 'integer' }, available: { type: 'integer' },
    version: { type: 'integer' }, status: { type: 'string' },
    min_stock: { type: 'integer' }, max_stock: { type: 'integer' },
    created_at: { type: 'string', format: 'date-time' }, updated_at: { type: 'string', format: 'date-time' },
  },
} as const;
