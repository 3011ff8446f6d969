/**
 * The error answers of the OpenAPI document. A route declares the codes its own logic can answer,
 * once, in its schema (`errorCodes: errorCodes('INVENTORY_NOT_FOUND', …)`); the codes every route
 * of its kind can answer are added from what the route is (its method, path parameters, role), so
 * nobody has to remember them. Each status then gets one response: the shared `ErrorEnvelope`
 * model narrowed to the codes that status can carry on that operation, so a generated client has
 * one error class and each operation still says exactly which codes to expect.
 */
import { assert } from '../assert.js';
import type { ErrorCode } from '../errors.js';

/**
 * The status of every code, as the factories in `errors.ts` build them (a unit test compares the
 * two). A `Record` over `ErrorCode`, so a new code does not compile until its status is here.
 */
export const errorStatus: Readonly<Record<ErrorCode, number>> = {
  VALIDATION_ERROR: 400, HISTORY_NOT_RETAINED: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404, INVENTORY_NOT_FOUND: 404, RESERVATION_NOT_FOUND: 404, DIFF_NOT_FOUND: 404, RUN_NOT_FOUND: 404,
  ALERT_NOT_FOUND: 404, LOG_ROW_NOT_FOUND: 404, AUDIT_RUN_NOT_FOUND: 404, ORDER_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  INSUFFICIENT_STOCK: 409, MAX_STOCK_EXCEEDED: 409, VERSION_CONFLICT: 409, IDEMPOTENCY_CONFLICT: 409,
  INVENTORY_ALREADY_EXISTS: 409, INVENTORY_INACTIVE: 409, RESERVATION_EXISTS: 409, RESERVATION_NOT_PENDING: 409,
  RESERVATION_EXPIRED: 409, RESERVATION_NOT_EXPIRED: 409, DIFF_NOT_PENDING: 409, DIFF_STALE: 409,
  FIX_AMOUNT_EXCEEDED: 409, FIX_NOT_APPLICABLE: 409, COMPENSATION_DISABLED: 409, ALERT_NOT_PENDING: 409,
  RESTORE_BELOW_RESERVED: 409, ORDER_HOLD_REFUSED: 409, ORDER_NOT_HELD: 409, ORDER_HOLD_EXPIRED: 409, ORDER_HOLD_NOT_EXPIRED: 409,
  RESERVATION_IN_ORDER: 409,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INVENTORY_LOCKED: 423,
  HEADERS_TOO_LARGE: 431,
  INTERNAL_ERROR: 500, OPERATION_REJECTED: 500,
  NOT_IN_NAIVE_MODE: 501,
  OVERLOADED: 503, DATABASE_UNAVAILABLE: 503, COMMIT_OUTCOME_UNKNOWN: 503, SHUTTING_DOWN: 503,
  RECONCILIATION_FAILED: 503, REDIS_UNAVAILABLE: 503, FIX_OUTCOME_UNKNOWN: 503,
};

export const allErrorCodes = Object.keys(errorStatus).sort() as ErrorCode[];

/** A route's own codes, checked by the compiler (a misspelt code does not compile). */
export function errorCodes<const Codes extends readonly ErrorCode[]>(...codes: Codes): Codes {
  return codes;
}

/**
 * Codes that whole kinds of routes answer, named so a route lists its kind instead of each code.
 * Every route answers 400 (a malformed `X-Trace-Id` is refused before routing), 500 (a bug) and
 * 503 SHUTTING_DOWN (a request that arrives while the instance drains); see `routeErrorCodes`.
 */
export const codesOf = {
  /** A route that reads PostgreSQL. */
  read: errorCodes('DATABASE_UNAVAILABLE'),
  /**
   * A POST or PUT that queries PostgreSQL itself: a connection lost mid-statement may have applied
   * it, so the error handler answers COMMIT_OUTCOME_UNKNOWN rather than "nothing was applied".
   */
  write: errorCodes('DATABASE_UNAVAILABLE', 'COMMIT_OUTCOME_UNKNOWN'),
  /**
   * A change submitted to a product's actor (src/engine): the product may be missing, the shard
   * full, PostgreSQL away before or during the COMMIT, or the op refused by PostgreSQL on its own.
   */
  engine: errorCodes('INVENTORY_NOT_FOUND', 'OVERLOADED', 'DATABASE_UNAVAILABLE', 'COMMIT_OUTCOME_UNKNOWN', 'OPERATION_REJECTED'),
  /** An engine op other than a plain delta: the benchmark baseline (`engine.mode: naive`) refuses it. */
  notNaive: errorCodes('NOT_IN_NAIVE_MODE'),
  /** A change of stock judged against the product's status and bounds. */
  stockChange: errorCodes('INSUFFICIENT_STOCK', 'MAX_STOCK_EXCEEDED', 'INVENTORY_LOCKED', 'INVENTORY_INACTIVE'),
} as const;

/** What the route is, as far as its errors go. */
export interface RouteFacts {
  method: string;
  hasParams: boolean;
  /** Guarded by a role's bearer token (src/http/auth.ts) when that role has one configured. */
  hasRole: boolean;
  /** The codes its schema declares. */
  declared: readonly ErrorCode[];
}

const methodsWithBody: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Every code the route can answer, sorted, each once. */
export function routeErrorCodes(route: RouteFacts): ErrorCode[] {
  const codes = new Set<ErrorCode>(['VALIDATION_ERROR', 'INTERNAL_ERROR', 'SHUTTING_DOWN', ...route.declared]);
  // fastify parses a body on these methods whether or not the route reads one.
  if (methodsWithBody.has(route.method)) for (const code of ['PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'] as const) codes.add(code);
  if (route.hasParams) codes.add('URI_TOO_LONG');
  if (route.hasRole) codes.add('UNAUTHORIZED');
  for (const code of codes) assert(errorStatus[code] !== undefined, `unknown error code ${code}`);
  return [...codes].sort();
}

/** The codes grouped by their status. */
export function codesByStatus(codes: readonly ErrorCode[]): Map<number, ErrorCode[]> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = errorStatus[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return byStatus;
}

/**
 * The shared model of every error answer: `code` names the case (docs/api-and-errors.md), `message`
 * says what to do, and there is no data. Its `title` makes it one entry of `components.schemas`
 * (see openapi-components.ts).
 */
export const errorEnvelopeSchema = {
  title: 'ErrorEnvelope',
  type: 'object',
  additionalProperties: false,
  required: ['success', 'message', 'data', 'code'],
  properties: {
    success: { type: 'boolean', enum: [false] },
    message: { type: 'string', description: 'What happened and what to do, in a sentence.' },
    data: { type: 'null' },
    code: { type: 'string', enum: allErrorCodes },
  },
} as const;

/** The response of one error status: the shared envelope, `code` narrowed to the given codes. */
export function errorResponseSchema(status: number, codes: readonly ErrorCode[]) {
  assert(codes.length > 0 && codes.every((code) => errorStatus[code] === status), `codes of another status than ${status}`);
  return {
    // @fastify/swagger's key for a response's description (a `description` would land in the schema too).
    'x-response-description': `${codes.join(', ')} (the code says which; docs/api-and-errors.md says when)`,
    allOf: [errorEnvelopeSchema, { type: 'object', properties: { code: { type: 'string', enum: [...codes] } } }],
  };
}

/**
 * The envelope of an error status a route answers with data (a failed run with its report). The
 * other codes of that status carry `data: null`; the document fills in `code`'s enum with every
 * code of the status, as for any other error answer.
 */
export function errorWithDataSchema<const Data extends object>(data: Data, description: string) {
  return {
    'x-response-description': description,
    type: 'object', additionalProperties: false, required: ['success', 'message', 'data', 'code'],
    properties: {
      success: { type: 'boolean' },
      message: { type: 'string' },
      data: { anyOf: [data, { type: 'null' }] },
      code: { type: 'string' },
    },
  } as const;
}

/** `errorWithDataSchema`'s envelope with the code enum of its status. */
export function withCodeEnum(declared: object, codes: readonly ErrorCode[]): object {
  const schema = declared as { properties?: Record<string, unknown> };
  assert(schema.properties?.code !== undefined, 'an error response declared without a code property');
  return { ...schema, properties: { ...schema.properties, code: { type: 'string', enum: [...codes] } } };
}
