/**
 * Trace ids: taken from `X-Trace-Id` (or generated; a header that is not a valid trace id is
 * refused with 400), replaced by the body's `trace_id` when it has one, echoed in the answer's
 * `X-Trace-Id` header and carried by every log line of the request.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { errors } from '../errors.js';
import * as limits from '../limits.js';
import { traceIdPattern } from './schemas.js';

declare module 'fastify' {
  interface FastifyRequest {
    traceId: string;
  }
}

const traceIdRegExp = new RegExp(traceIdPattern);

export function traceIdFromHeader(request: IncomingMessage): string {
  const header = request.headers['x-trace-id'];
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && isTraceId(value) ? value : randomUUID();
}

function isTraceId(value: string): boolean {
  return value.length <= limits.traceIdLengthMax && traceIdRegExp.test(value);
}

export function installTraceIds(app: FastifyInstance): void {
  app.decorateRequest('traceId', '');
  // The header's value is stored with every log row of the request: refuse one that cannot be
  // (genReqId gave the request a fresh id meanwhile, so this refusal is still traceable).
  app.addHook('onRequest', (request, _reply, done) => {
    const header = request.headers['x-trace-id'];
    if (header === undefined || (typeof header === 'string' && isTraceId(header))) return done();
    done(errors.validation('headers.x-trace-id', `must be 1 to ${limits.traceIdLengthMax} printable ASCII characters without spaces`));
  });
  // Callback-style hooks: an async hook costs a promise per request on the sync hot path.
  app.addHook('preHandler', (request: FastifyRequest, _reply, done) => {
    const fromBody = (request.body as { trace_id?: unknown } | undefined)?.trace_id;
    // Route schemas already refuse a bad trace_id; checking again keeps a route that forgot from
    // putting an invalid value into the answer's header.
    if (typeof fromBody === 'string' && fromBody !== request.id && isTraceId(fromBody)) {
      request.traceId = fromBody;
      // From the app's logger, not request.log: a child of that would carry trace_id twice (the
      // header's, then the body's), and JSON readers disagree on which of two equal keys wins.
      request.log = request.server.log.child({ trace_id: fromBody });
    } else {
      request.traceId = request.id;
    }
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('x-trace-id', request.traceId || request.id);
    done(null, payload);
  });
}
