// Proves the OpenAPI document's error statuses are the ones the service answers: every factory in
// errors.ts builds its code with the status the table says, every code has a factory or a known
// sender, and a route's codes grow with what the route is (method, path parameters, role).
import { describe, expect, it } from 'vitest';
import { AppError, errors } from '../../../src/errors.js';
import { codesByStatus, errorResponseSchema, errorStatus, routeErrorCodes } from '../../../src/http/openapi-errors.js';

/** Arguments nearly every factory accepts: numbers for ids and amounts, null for the one optional Date. */
const anyArguments = [1, null, 1, 1] as const;
const argumentsOf: Partial<Record<keyof typeof errors, unknown[]>> = { methodNotAllowed: ['GET', ['POST']], orderHoldRefused: ['o', []] };

describe('errorStatus', () => {
  it('gives each code the status its factory answers with', () => {
    const built = Object.entries(errors).map(([name, factory]) =>
      (factory as (...args: unknown[]) => AppError)(...(argumentsOf[name as keyof typeof errors] ?? anyArguments)));
    expect(built.length).toBeGreaterThan(40);
    for (const error of built) expect(`${error.code} ${errorStatus[error.code]}`).toBe(`${error.code} ${error.statusCode}`);
    // RECONCILIATION_FAILED is sent by the health check route with the failed run's report, not by a factory.
    const withoutFactory = Object.keys(errorStatus).filter((code) => !built.some((error) => error.code === code));
    expect(withoutFactory).toEqual(['RECONCILIATION_FAILED']);
  });
});

describe('routeErrorCodes', () => {
  it('adds to every route a bad X-Trace-Id (400), a bug (500) and a shutdown (503)', () => {
    expect(routeErrorCodes({ method: 'GET', hasParams: false, hasRole: false, declared: [] }))
      .toEqual(['INTERNAL_ERROR', 'SHUTTING_DOWN', 'VALIDATION_ERROR']);
  });

  it('adds the body refusals to methods with a body, 414 to path parameters and 401 to a role', () => {
    expect(routeErrorCodes({ method: 'POST', hasParams: true, hasRole: true, declared: ['INVENTORY_NOT_FOUND', 'VALIDATION_ERROR'] }))
      .toEqual(['INTERNAL_ERROR', 'INVENTORY_NOT_FOUND', 'PAYLOAD_TOO_LARGE', 'SHUTTING_DOWN', 'UNAUTHORIZED', 'UNSUPPORTED_MEDIA_TYPE',
        'URI_TOO_LONG', 'VALIDATION_ERROR']);
  });

  it('groups codes by status and refuses a code under another status', () => {
    const byStatus = codesByStatus(['INSUFFICIENT_STOCK', 'INVENTORY_NOT_FOUND', 'VERSION_CONFLICT']);
    expect([...byStatus]).toEqual([[409, ['INSUFFICIENT_STOCK', 'VERSION_CONFLICT']], [404, ['INVENTORY_NOT_FOUND']]]);
    expect(errorResponseSchema(409, ['VERSION_CONFLICT']).allOf[1]).toEqual({ type: 'object', properties: { code: { type: 'string', enum: ['VERSION_CONFLICT'] } } });
    expect(() => errorResponseSchema(404, ['VERSION_CONFLICT'])).toThrow(/another status/);
  });
});
