/**
 * The one place where failures become HTTP answers. Expected failures (`AppError`) keep their
 * code and message; fastify's own 4xx (bad JSON, wrong content type, oversized body) get the
 * envelope and a message a user can act on; anything else is logged and answered without internals.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, errors, isConnectFailure, isConnectionError } from '../errors.js';
import * as limits from '../limits.js';
import { failure } from './envelope.js';
import { trackAllowedMethods } from './method-not-allowed.js';
import { describeValidation } from './validation.js';

/** Refusals that come in floods exactly when the service is busiest: the metrics count them instead. */
const quietCodes: ReadonlySet<string> = new Set(['OVERLOADED', 'SHUTTING_DOWN']);

export function installErrorHandler(app: FastifyInstance): void {
  const allowed = trackAllowedMethods(app);
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = toAppError(error, request.method, request.headers['content-type']);
    if (appError === null) {
      request.log.error({ err: error }, 'unexpected error');
    } else if (appError.statusCode >= 500 && !quietCodes.has(appError.code)) {
      request.log.warn({ code: appError.code }, appError.message);
    }
    const answer = appError ?? errors.internal();
    if (answer.retryAfterSeconds !== null) void reply.header('retry-after', String(answer.retryAfterSeconds));
    return reply.code(answer.statusCode).send(failure(answer.code, answer.message, answer.data));
  });
  app.setNotFoundHandler((request, reply) => {
    const allow = allowed.of(request.url.split('?')[0]!);
    const error = allow.length > 0 ? errors.methodNotAllowed(request.method, allow) : errors.routeNotFound(request.method);
    if (allow.length > 0) void reply.header('allow', allow.join(', '));
    return reply.code(error.statusCode).send(failure(error.code, error.message));
  });
}

const readMethods: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A media type named back to the client only when it is one (RFC 9110 token/token, short). */
const mediaType = /^[A-Za-z0-9!#$&^_.+-]{1,64}\/[A-Za-z0-9!#$&^_.+-]{1,64}$/;

function unsupportedMediaType(contentType: string | undefined): AppError {
  const type = contentType?.split(';')[0]!.trim() ?? '';
  return errors.unsupportedMediaType(mediaType.test(type) ? type : type === '' ? 'none' : 'an unrecognised type');
}

function toAppError(error: FastifyError, method: string, contentType: string | undefined): AppError | null {
  if (error instanceof AppError) return error;
  if (error.validation && error.validation.length > 0) {
    return errors.invalidRequest(`${describeValidation(error.validationContext ?? 'body', error.validation[0]!)}.`);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return errors.payloadTooLarge(limits.bodyLimitBytes);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return unsupportedMediaType(contentType);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY': return errors.validation('body', 'is empty; send a JSON object');
    case 'FST_ERR_CTP_INVALID_JSON_BODY': return errors.validation('body', 'is not valid JSON');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH': return errors.validation('Content-Length', 'does not match the body');
  }
  if (error.statusCode === 400 && /JSON|Unexpected token|prototype/i.test(error.message)) {
    return errors.validation('body', 'is not valid JSON');
  }
  if (isConnectionError(error)) {
    // A write whose statement may have reached PostgreSQL before the connection died cannot be
    // answered "nothing was applied"; only a failure to connect at all proves that.
    return readMethods.has(method) || isConnectFailure(error) ? errors.databaseUnavailable() : errors.writeOutcomeUnknown();
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    // fastify's message may quote the request; its code does not.
    return errors.invalidRequest(`The request was refused (${error.code ?? error.statusCode}).`);
  }
  return null;
}
