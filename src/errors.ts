/**
 * Every expected failure of the service: one code, one HTTP status, one factory each. They are
 * mapped to the response envelope in one place (`http/error-handler.ts`). Anything thrown that is
 * not an `AppError` is a bug or an outage and answers 500/503 without internals.
 */

export type ErrorCode =
  | 'VALIDATION_ERROR'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'URI_TOO_LONG'
  | 'HEADERS_TOO_LARGE'
  | 'REQUEST_TIMEOUT'
  | 'UNAUTHORIZED'
  | 'INVENTORY_NOT_FOUND'
  | 'INSUFFICIENT_STOCK'
  | 'MAX_STOCK_EXCEEDED'
  | 'VERSION_CONFLICT'
  | 'IDEMPOTENCY_CONFLICT'
  | 'INVENTORY_ALREADY_EXISTS'
  | 'INVENTORY_LOCKED'
  | 'INVENTORY_INACTIVE'
  | 'RESERVATION_NOT_FOUND'
  | 'RESERVATION_EXISTS'
  | 'RESERVATION_NOT_PENDING'
  | 'RESERVATION_EXPIRED'
  | 'RESERVATION_NOT_EXPIRED'
  | 'OVERLOADED'
  | 'DATABASE_UNAVAILABLE'
  | 'COMMIT_OUTCOME_UNKNOWN'
  | 'SHUTTING_DOWN'
  | 'DIFF_NOT_FOUND'
  | 'DIFF_NOT_PENDING'
  | 'DIFF_STALE'
  | 'FIX_AMOUNT_EXCEEDED'
  | 'FIX_NOT_APPLICABLE'
  | 'COMPENSATION_DISABLED'
  | 'RUN_NOT_FOUND'
  | 'RECONCILIATION_FAILED'
  | 'REDIS_UNAVAILABLE'
  | 'NOT_IN_NAIVE_MODE'
  | 'INTERNAL_ERROR'
  | 'OPERATION_REJECTED'
  | 'FIX_OUTCOME_UNKNOWN'
  | 'ALERT_NOT_FOUND'
  | 'ALERT_NOT_PENDING'
  | 'HISTORY_NOT_RETAINED'
  | 'LOG_ROW_NOT_FOUND'
  | 'RESTORE_BELOW_RESERVED'
  | 'AUDIT_RUN_NOT_FOUND'
  | 'ORDER_NOT_FOUND'
  | 'ORDER_HOLD_REFUSED'
  | 'ORDER_NOT_HELD'
  | 'ORDER_HOLD_EXPIRED'
  | 'ORDER_HOLD_NOT_EXPIRED'
  | 'RESERVATION_IN_ORDER';

export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    /** Seconds a client should wait before retrying; sent as `Retry-After`. */
    readonly retryAfterSeconds: number | null = null,
    /** Detail a client acts on, sent as the envelope's `data` (an order hold's refused lines); null otherwise. */
    readonly data: unknown = null,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const errors = {
  validation: (field: string, problem: string) =>
    new AppError(400, 'VALIDATION_ERROR', `${field} ${problem}.`),
  invalidRequest: (sentence: string) => new AppError(400, 'VALIDATION_ERROR', sentence),
  minAboveMax: (minStock: number, maxStock: number) =>
    new AppError(400, 'VALIDATION_ERROR', `min_stock (${minStock}) must not exceed max_stock (${maxStock}) when max_stock is set.`),
  payloadTooLarge: (limitBytes: number) =>
    new AppError(413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${limitBytes} bytes.`),
  unsupportedMediaType: (contentType: string) =>
    new AppError(415, 'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type '${contentType}' is not supported; send application/json.`),
  unauthorized: (role: string) =>
    new AppError(401, 'UNAUTHORIZED',
      `This route needs the ${role} role: send "Authorization: Bearer <token>" with its token (see docs/security.md).`),
  routeNotFound: (method: string) =>
    new AppError(404, 'NOT_FOUND', `No route answers ${method} on this path; the API is listed at /docs.`),
  methodNotAllowed: (method: string, allow: readonly string[]) =>
    new AppError(405, 'METHOD_NOT_ALLOWED', `This path does not answer ${method}; it answers ${allow.join(', ')}.`),
  badUrl: () =>
    new AppError(400, 'VALIDATION_ERROR', 'The URL is not valid: a %-escape in its path is malformed.'),
  uriTooLong: (paramLengthMax: number) =>
    new AppError(414, 'URI_TOO_LONG', `A path parameter is longer than ${paramLengthMax} characters; no id is that long.`),
  headersTooLarge: (headerBytesMax: number) =>
    new AppError(431, 'HEADERS_TOO_LARGE', `The request headers are larger than ${headerBytesMax} bytes; send fewer or shorter headers.`),
  requestTimeout: (timeoutMs: number) =>
    new AppError(408, 'REQUEST_TIMEOUT', `The request did not arrive completely within ${timeoutMs} ms; send it again.`),
  malformedRequest: () =>
    new AppError(400, 'VALIDATION_ERROR', 'The request is not valid HTTP/1.1.'),
  inventoryNotFound: (productId: number) =>
    new AppError(404, 'INVENTORY_NOT_FOUND',
      `No inventory exists for product ${productId}; create it with POST /api/v1/inventory first.`),
  insufficientStock: (productId: number, available: number, delta: number) =>
    new AppError(409, 'INSUFFICIENT_STOCK',
      `Product ${productId} has ${available} available; a delta of ${delta} would take it below 0.`),
  maxStockExceeded: (productId: number, stock: number, delta: number, maxStock: number) =>
    new AppError(409, 'MAX_STOCK_EXCEEDED',
      `Product ${productId} has stock ${stock}; a delta of ${delta} would exceed its max_stock of ${maxStock}.`),
  versionConflict: (productId: number, expected: number, actual: number) =>
    new AppError(409, 'VERSION_CONFLICT',
      `Product ${productId} is at version ${actual}, not ${expected}; reload it and retry.`),
  idempotencyConflict: (key: string, firstPayload: string) =>
    new AppError(409, 'IDEMPOTENCY_CONFLICT',
      `The key ${key} was already used with ${firstPayload}; use a new key for a different request.`),
  inventoryAlreadyExists: (productId: number) =>
    new AppError(409, 'INVENTORY_ALREADY_EXISTS',
      `Inventory for product ${productId} already exists; change it with PUT /api/v1/inventory/${productId}.`),
  inventoryLocked: (productId: number) =>
    new AppError(423, 'INVENTORY_LOCKED',
      `Product ${productId} is locked; stock changes are refused until an operator sets it active.`),
  inventoryInactive: (productId: number) =>
    new AppError(409, 'INVENTORY_INACTIVE',
      `Product ${productId} is inactive; stock changes are refused until it is set active.`),
  insufficientStockToReserve: (productId: number, available: number, quantity: number) =>
    new AppError(409, 'INSUFFICIENT_STOCK',
      `Product ${productId} has ${available} available; ${quantity} cannot be reserved.`),
  stockBelowReserved: (productId: number, stock: number, reserved: number) =>
    new AppError(409, 'INSUFFICIENT_STOCK',
      `Product ${productId} has ${reserved} reserved; its stock cannot be set to ${stock}. ` +
      'Confirm or release reservations first.'),
  stockAboveMax: (productId: number, stock: number, maxStock: number) =>
    new AppError(409, 'MAX_STOCK_EXCEEDED',
      `Product ${productId} would have stock ${stock}, above its max_stock of ${maxStock}.`),
  reservationNotFound: (reservationId: number) =>
    new AppError(404, 'RESERVATION_NOT_FOUND', `No reservation ${reservationId} exists.`),
  reservationExists: (productId: number, orderId: string) =>
    new AppError(409, 'RESERVATION_EXISTS',
      `Order '${orderId}' already holds a reservation of product ${productId}, made long enough ago that its ` +
      `first result is no longer kept; find it with GET /api/v1/logs?order_id=${encodeURIComponent(orderId)}, or reserve under a new order_id.`),
  reservationNotPending: (reservationId: number, status: string) =>
    new AppError(409, 'RESERVATION_NOT_PENDING',
      `Reservation ${reservationId} is already ${status}; only a pending reservation can be confirmed or released.`),
  reservationExpired: (reservationId: number) =>
    new AppError(409, 'RESERVATION_EXPIRED',
      `Reservation ${reservationId} has passed its expiry and is being released; reserve again with a new order_id.`),
  reservationNotExpired: (reservationId: number) =>
    new AppError(409, 'RESERVATION_NOT_EXPIRED', `Reservation ${reservationId} has not reached its expiry yet.`),
  overloaded: (what: string, retryAfterSeconds = 1) =>
    new AppError(503, 'OVERLOADED', `The service is at capacity (${what}); retry shortly.`, retryAfterSeconds),
  databaseUnavailable: () =>
    new AppError(503, 'DATABASE_UNAVAILABLE',
      'PostgreSQL cannot be reached; nothing was applied. Retry shortly.', 1),
  commitOutcomeUnknown: () =>
    new AppError(503, 'COMMIT_OUTCOME_UNKNOWN',
      'The connection to PostgreSQL was lost while committing and the outcome could not be confirmed; ' +
      'retry with the same order_id or idempotency_key so it is applied at most once.', 1),
  writeOutcomeUnknown: () =>
    new AppError(503, 'COMMIT_OUTCOME_UNKNOWN',
      'The connection to PostgreSQL was lost after the change was sent, so it may or may not have been applied. ' +
      'Read the resource to see which before retrying.', 1),
  shuttingDown: () =>
    new AppError(503, 'SHUTTING_DOWN', 'The service is shutting down; retry on another instance.', 1),
  notInNaiveMode: (kind: string) =>
    new AppError(501, 'NOT_IN_NAIVE_MODE',
      `engine.mode naive is the benchmark baseline and applies sync deltas only; ${kind} needs engine.mode batched.`),
  internal: () => new AppError(500, 'INTERNAL_ERROR', 'An internal error occurred; it has been logged.'),
  operationRejected: () =>
    new AppError(500, 'OPERATION_REJECTED',
      'PostgreSQL refused to store this operation even on its own, so nothing of it was applied; it has been ' +
      'logged. Other operations were not held back by it. Retrying it unchanged will fail the same way.'),
  diffNotFound: (diffId: number) =>
    new AppError(404, 'DIFF_NOT_FOUND', `No difference with id ${diffId} was recorded.`),
  diffNotPending: (diffId: number, status: string) =>
    new AppError(409, 'DIFF_NOT_PENDING', `Difference ${diffId} is ${status}, not pending; only a pending difference can be fixed.`),
  diffStale: (diffId: number, why: string) =>
    new AppError(409, 'DIFF_STALE',
      `Difference ${diffId} no longer holds: ${why}. Run GET /api/v1/health/check again and fix what it finds.`),
  fixAmountExceeded: (diffId: number, diff: number, maxFixAmount: number) =>
    new AppError(409, 'FIX_AMOUNT_EXCEEDED',
      `Difference ${diffId} is ${diff}; fixes are limited to ${maxFixAmount} (inventory.compensation.max_fix_amount). ` +
      'Correct the stock by hand or ignore the difference.'),
  fixNotApplicable: (diffId: number, why: string) =>
    new AppError(409, 'FIX_NOT_APPLICABLE', `Difference ${diffId} cannot be fixed that way: ${why}.`),
  compensationDisabled: () =>
    new AppError(409, 'COMPENSATION_DISABLED',
      'Fixes are disabled (inventory.compensation.enable is false); only fix_type ignore is accepted.'),
  runNotFound: (runId: string) =>
    new AppError(404, 'RUN_NOT_FOUND', `No reconciliation run with id ${runId} exists.`),
  redisUnavailable: () =>
    new AppError(503, 'REDIS_UNAVAILABLE', 'Redis cannot be reached; nothing was changed. Retry shortly.', 1),
  fixOutcomeUnknown: (diffId: number) =>
    new AppError(503, 'FIX_OUTCOME_UNKNOWN',
      `Redis did not confirm the fix of difference ${diffId} in time, so it may or may not have applied. ` +
      'The difference stays closed (fixing it again could apply it twice); the next run records whatever remains.'),
  alertNotFound: (alertId: number) =>
    new AppError(404, 'ALERT_NOT_FOUND', `No alert with id ${alertId} exists.`),
  alertNotPending: (alertId: number, status: string) =>
    new AppError(409, 'ALERT_NOT_PENDING', `Alert ${alertId} is already ${status}; only a pending alert can be acknowledged.`),
  historyNotRetained: (productId: number, earliest: Date | null) =>
    new AppError(400, 'HISTORY_NOT_RETAINED', earliest === null
      ? `Product ${productId} has no retained history to answer from.`
      : `The history of product ${productId} is retained from ${earliest.toISOString()}; ask for a time (or log row) at or after it.`),
  logRowNotFound: (productId: number, logId: number) =>
    new AppError(404, 'LOG_ROW_NOT_FOUND', `Log row ${logId} is not a row of product ${productId}; read its ids from GET /api/v1/inventory/${productId}/logs.`),
  restoreBelowReserved: (productId: number, stock: number, reserved: number) =>
    new AppError(409, 'RESTORE_BELOW_RESERVED',
      `Product ${productId} has ${reserved} reserved by pending reservations; restoring its stock to ${stock} would leave them uncovered. ` +
      'Confirm or release reservations first, or restore to a later point.'),
  auditRunNotFound: (runId: string) =>
    new AppError(404, 'AUDIT_RUN_NOT_FOUND', `No ledger audit run with id ${runId} exists; start one with POST /api/v1/ledger/audits.`),
  orderNotFound: (orderId: string) =>
    new AppError(404, 'ORDER_NOT_FOUND', `No hold exists for order '${orderId}'; hold it with POST /api/v1/orders/{orderId}/holds.`),
  orderHoldRefused: (orderId: string, lines: readonly OrderLineRefusalView[]) =>
    new AppError(409, 'ORDER_HOLD_REFUSED',
      `Order '${orderId}' was not held: ${lines.length} of its lines cannot be held (see data.lines); no line is held. ` +
      'Change those lines and send the order again.', null, { order_id: orderId, lines }),
  orderNotHeld: (orderId: string, status: string) =>
    new AppError(409, 'ORDER_NOT_HELD', `Order '${orderId}' is ${status}; only a held order can be confirmed, released or expired.`),
  orderHoldExpired: (orderId: string) =>
    new AppError(409, 'ORDER_HOLD_EXPIRED',
      `The hold of order '${orderId}' has passed its expiry and is released; hold the order again under a new order id.`),
  orderHoldNotExpired: (orderId: string) =>
    new AppError(409, 'ORDER_HOLD_NOT_EXPIRED', `The hold of order '${orderId}' has not reached its expiry yet.`),
  orderLineReservedAlready: (productId: number) =>
    new AppError(409, 'RESERVATION_EXISTS',
      `This order id already holds a reservation of product ${productId} made with POST /api/v1/reservations; ` +
      'release it, or hold the order under a new order id.'),
  reservationInOrder: (reservationId: number, orderId: string) =>
    new AppError(409, 'RESERVATION_IN_ORDER',
      `Reservation ${reservationId} is a line of order hold '${orderId}', whose lines change together; ` +
      `confirm or release the order with POST /api/v1/orders/${encodeURIComponent(orderId)}/confirm or /release.`),
} as const;

/** One refused line of an order hold, as the 409's `data.lines` lists it. */
export interface OrderLineRefusalView {
  product_id: number;
  quantity: number;
  code: ErrorCode;
  message: string;
}

/** PostgreSQL SQLSTATEs the engine reacts to. */
export const pgErrorCodes = {
  uniqueViolation: '23505',
  deadlockDetected: '40P01',
  queryCanceled: '57014',
  lockNotAvailable: '55P03',
  serializationFailure: '40001',
  adminShutdown: '57P01',
  crashShutdown: '57P02',
  cannotConnectNow: '57P03',
} as const;

/** True when an error means "PostgreSQL is not reachable", as opposed to a statement failing. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || code === pgErrorCodes.adminShutdown || code === pgErrorCodes.crashShutdown ||
        code === pgErrorCodes.cannotConnectNow) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)) return true;
  }
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable|timeout exceeded when trying to connect/i
    .test(error.message);
}

/** True when the error shows that no connection was made at all, so nothing was sent. */
export function isConnectFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === pgErrorCodes.cannotConnectNow ||
    /timeout exceeded when trying to connect|connection timeout/i.test(error.message);
}

/**
 * The answer to a failed write that nothing applied: unreachable → DATABASE_UNAVAILABLE, a
 * statement or lock timeout → OVERLOADED; null for anything else (a bug: log it, answer 500).
 */
export function databaseFailureOf(error: unknown): AppError | null {
  if (isConnectionError(error)) return errors.databaseUnavailable();
  const code = (error as { code?: string }).code;
  if (code === pgErrorCodes.queryCanceled || code === pgErrorCodes.lockNotAvailable) {
    return errors.overloaded('PostgreSQL did not answer in time; nothing was applied');
  }
  return null;
}
