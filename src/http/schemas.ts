/**
 * JSON-schema pieces shared by several routes, each bounded by `limits.ts`. Conventions for the
 * OpenAPI document (docs/http-routes.md): every integer says its format (`int64` for ids, stock
 * and counts: values up to 2^53 − 1, which a 32-bit client type cannot hold); a shared model has a
 * PascalCase `title` and becomes one `components.schemas` entry; response objects list `required`.
 */
import { inventoryStatuses } from '../domain/inventory.js';
import * as limits from '../limits.js';

/** A whole number of the API: ids, stock, versions, counts (JavaScript numbers, exact up to 2^53 − 1). */
export const int64 = { type: 'integer', format: 'int64' } as const;
export const nullableInt64 = { type: ['integer', 'null'], format: 'int64' } as const;
/** Small bounded numbers (page sizes, seconds). */
export const int32 = { type: 'integer', format: 'int32' } as const;
export const dateTime = { type: 'string', format: 'date-time' } as const;
export const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;
export const nullableString = { type: ['string', 'null'] } as const;

/** Positive ids that fit a JavaScript number exactly (products, reservations, diffs, log rows). */
export const idSchema = { ...int64, minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;
export const productIdSchema = idSchema;
export const versionSchema = { ...int64, minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;
export const quantitySchema = { ...int64, minimum: 0, maximum: limits.stockMax } as const;
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
/** Run ids (reconciliation, ledger audits) are UUIDs; anything else cannot name a run. */
export const runIdSchema = {
  type: 'string', format: 'uuid', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
} as const;

/** Fields every write may carry for the log and the trace. */
export const auditFields = {
  reason: { ...optionalText(limits.reasonLengthMax), description: 'Why, for the log row' },
  operator: { ...optionalText(limits.operatorLengthMax), description: 'Who, for the log row' },
  trace_id: { ...traceIdSchema, description: 'Replaces the X-Trace-Id header as the trace id of the change' },
} as const;

/** Path parameters holding one positive id, under the given name, described for the document. */
export function idParams<Name extends string>(name: Name, description: string) {
  return {
    type: 'object', additionalProperties: false, required: [name],
    properties: { [name]: { ...idSchema, description } } as Record<Name, typeof idSchema & { description: string }>,
  } as const;
}

export const productIdParams = idParams('productId', 'The product id');

export const inventorySchema = {
  title: 'Inventory',
  type: 'object', additionalProperties: false,
  required: ['product_id', 'product_name', 'stock', 'reserved', 'available', 'version', 'status', 'min_stock', 'max_stock',
    'created_at', 'updated_at'],
  properties: {
    product_id: int64, product_name: { type: 'string' },
    stock: int64, reserved: { ...int64, description: 'held by pending reservations' },
    available: { ...int64, description: 'stock - reserved' },
    version: { ...int64, description: 'raised by every change; expected_version / version compare against it' },
    status: { type: 'string', enum: inventoryStatuses },
    min_stock: int64, max_stock: { ...int64, description: '0: no maximum' },
    created_at: dateTime, updated_at: dateTime,
  },
} as const;

/** Example timestamps: one instant, so examples read as one story. */
export const exampleTime = '2026-11-30T08:00:00.000Z';

export const inventoryExample = {
  product_id: 1001, product_name: 'Phone', stock: 95, reserved: 2, available: 93, version: 7, status: 'active',
  min_stock: 10, max_stock: 0, created_at: exampleTime, updated_at: exampleTime,
} as const;

/** The answer to starting a background run (reconciliation, ledger audit). */
export const runStartedSchema = {
  title: 'RunStarted',
  type: 'object', additionalProperties: false, required: ['run_id', 'joined', 'status_url'],
  properties: {
    run_id: { type: 'string', format: 'uuid' },
    joined: { type: 'boolean', description: 'true: a run was already going, and this is it' },
    status_url: { type: 'string', description: 'where to read its report' },
  },
} as const;
