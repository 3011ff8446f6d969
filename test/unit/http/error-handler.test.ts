/**
 * Proves the one mapping from failures to HTTP answers, on a bare fastify app with the service's
 * validator and error handler and no services: an AppError keeps its status, code, message and
 * Retry-After; validation findings become one sentence naming the field; fastify's own 4xx (bad
 * JSON, wrong content type, oversized or empty body) get the envelope; a lost PostgreSQL
 * connection is 503 DATABASE_UNAVAILABLE; anything else is 500 without internals; unknown routes
 * are 404 NOT_FOUND; and `databaseFailureOf` / `isConnectionError` classify driver errors.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, databaseFailureOf, errors, isConnectionError } from '../../../src/errors.js';
import { installErrorHandler } from '../../../src/http/error-handler.js';
import { validatorCompiler } from '../../../src/http/validation.js';

let app: FastifyInstance;
let thrown: unknown;

beforeAll(async () => {
  app = Fastify({ logger: false, bodyLimit: 1024 });
  app.setValidatorCompiler(validatorCompiler);
  app.removeContentTypeParser('text/plain');
  installErrorHandler(app);
  app.get('/throw', async () => { throw thrown; });
  app.post('/items', {
    schema: {
      body: {
        type: 'object', additionalProperties: false, required: ['product_id'],
        properties: { product_id: { type: 'integer', minimum: 1 }, tags: { type: 'array', maxItems: 2 } },
      },
    },
  }, async () => ({ ok: true }));
  await app.ready();
});
afterAll(async () => { await app.close(); });

async function answerTo(error: unknown) {
  thrown = error;
  const response = await app.inject({ method: 'GET', url: '/throw' });
  return { status: response.statusCode, body: response.json(), retryAfter: response.headers['retry-after'] };
}

const post = (payload: string, contentType = 'application/json') =>
  app.inject({ method: 'POST', url: '/items', headers: { 'content-type': contentType }, payload });

describe('the error handler', () => {
  it('answers an AppError with its own status, code and message in the envelope', async () => {
    const answer = await answerTo(errors.insufficientStock(7, 3, -4));
    expect(answer).toEqual({
      status: 409, retryAfter: undefined,
      body: { success: false, code: 'INSUFFICIENT_STOCK', data: null, message: 'Product 7 has 3 available; a delta of -4 would take it below 0.' },
    });
  });

  it('sends Retry-After exactly when the error carries one', async () => {
    expect(await answerTo(errors.overloaded('shard 3', 2))).toMatchObject({ status: 503, retryAfter: '2', body: { code: 'OVERLOADED' } });
    expect(await answerTo(errors.databaseUnavailable())).toMatchObject({ status: 503, retryAfter: '1' });
    expect(await answerTo(errors.fixOutcomeUnknown(5))).toMatchObject({ status: 503, retryAfter: undefined, body: { code: 'FIX_OUTCOME_UNKNOWN' } });
  });

  it('answers 503 DATABASE_UNAVAILABLE for a lost PostgreSQL connection', async () => {
    const lost = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(await answerTo(lost)).toMatchObject({ status: 503, retryAfter: '1', body: { code: 'DATABASE_UNAVAILABLE' } });
    expect(await answerTo(new Error('Connection terminated unexpectedly'))).toMatchObject({ status: 503, body: { code: 'DATABASE_UNAVAILABLE' } });
  });

  it('answers anything unforeseen with 500 and no internals', async () => {
    const bug = Object.assign(new Error('relation "inventories" does not exist at SELECT stock FROM inventories'), { code: '42P01' });
    const answer = await answerTo(bug);
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ success: false, code: 'INTERNAL_ERROR', data: null, message: errors.internal().message });
    expect(JSON.stringify(answer.body)).not.toMatch(/inventories|SELECT|42P01|stack/);
  });

  it('names the field of the first validation finding', async () => {
    const cases: [string, string][] = [
      ['{}', 'body.product_id is required.'],
      ['{"product_id": 0}', 'body.product_id must be at least 1.'],
      ['{"product_id": "5"}', 'body.product_id must be an integer.'],
      ['{"product_id": 1, "colour": "red"}', 'body.colour is not a known field.'],
      ['{"product_id": 1, "tags": [1, 2, 3]}', 'body.tags must have at most 2 items.'],
      ['[1]', 'body must be an object.'],
    ];
    for (const [payload, message] of cases) {
      const response = await post(payload);
      expect(response.statusCode, payload).toBe(400);
      expect(response.json(), payload).toEqual({ success: false, code: 'VALIDATION_ERROR', data: null, message });
    }
    expect((await post('{"product_id": 1}')).json()).toEqual({ ok: true });
  });

  it('wraps fastify\'s own refusals in the envelope with a message a client can act on', async () => {
    const badJson = await post('{"product_id": 1,');
    expect([badJson.statusCode, badJson.json()]).toEqual([400, { success: false, code: 'VALIDATION_ERROR', data: null, message: 'body is not valid JSON.' }]);
    const empty = await post('');
    expect([empty.statusCode, empty.json().message]).toEqual([400, 'body is empty; send a JSON object.']);
    const text = await post('hello', 'text/plain; charset=utf-8');
    expect([text.statusCode, text.json().code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect(text.json().message).toBe("Content-Type 'text/plain' is not supported; send application/json.");
    // A header that is not a media type is not echoed back.
    expect((await post('hello', 'text<script>/x')).json().message).toBe("Content-Type 'an unrecognised type' is not supported; send application/json.");
    const huge = await post(`{"product_id": 1, "x": "${'x'.repeat(2000)}"}`);
    expect([huge.statusCode, huge.json().code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const poisoned = await post('{"product_id": 1, "__proto__": {"x": 1}}');
    expect([poisoned.statusCode, poisoned.json().code]).toEqual([400, 'VALIDATION_ERROR']);
  });

  it('answers unknown routes with 404 NOT_FOUND naming the method, never echoing the path', async () => {
    const response = await app.inject({ method: 'DELETE', url: '/nowhere/<script>?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ success: false, code: 'NOT_FOUND', data: null, message: 'No route answers DELETE on this path; the API is listed at /docs.' });
  });
});

describe('driver errors', () => {
  const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

  it('counts connection-class SQLSTATEs, socket errors and pg\'s connection messages as unreachable', () => {
    for (const code of ['08006', '08001', '57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']) {
      expect(isConnectionError(withCode(code)), code).toBe(true);
    }
    expect(isConnectionError(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isConnectionError(new Error('Client has encountered a connection error and is not queryable'))).toBe(true);
    for (const code of ['23505', '40P01', '57014', '42P01']) expect(isConnectionError(withCode(code)), code).toBe(false);
    expect(isConnectionError('ECONNREFUSED')).toBe(false); // not an Error at all
  });

  it('maps a failed write that nothing applied to DATABASE_UNAVAILABLE or OVERLOADED, and a bug to null', () => {
    expect(databaseFailureOf(withCode('ECONNRESET'))).toMatchObject({ statusCode: 503, code: 'DATABASE_UNAVAILABLE' });
    expect(databaseFailureOf(withCode('57014', 'canceling statement due to statement timeout'))).toMatchObject({ statusCode: 503, code: 'OVERLOADED' });
    expect(databaseFailureOf(withCode('55P03'))).toMatchObject({ code: 'OVERLOADED', retryAfterSeconds: 1 });
    expect(databaseFailureOf(withCode('23505'))).toBeNull();
    expect(databaseFailureOf(new Error('undefined is not a function'))).toBeNull();
  });

  it('gives every factory an AppError whose status matches its class of failure', () => {
    const samples: [AppError, number][] = [
      [errors.validation('body.x', 'is wrong'), 400], [errors.unauthorized('sync'), 401], [errors.inventoryNotFound(1), 404],
      [errors.versionConflict(1, 2, 3), 409], [errors.inventoryLocked(1), 423], [errors.notInNaiveMode('reserve'), 501],
      [errors.shuttingDown(), 503], [errors.payloadTooLarge(10), 413], [errors.unsupportedMediaType('x'), 415],
    ];
    for (const [error, status] of samples) {
      expect(error).toBeInstanceOf(AppError);
      expect(error.statusCode, error.code).toBe(status);
      expect(error.message, error.code).toMatch(/[.)]$/); // a full sentence
    }
    expect(errors.validation('body.delta', 'must not be 0').message).toBe('body.delta must not be 0.');
  });
});
