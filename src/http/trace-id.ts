/**
 * Trace ids: taken from `X-Trace-Id` (or generated), replaced by the body's `trace_id` when it has
 * one, echoed in the answer's `X-Trace-Id` header and carried by every log line of the request.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
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
  return value !== undefined && value.length <= limits.traceIdLengthMax && traceIdRegExp.test(value) ? value : randomUUID();
}

export function installTraceIds(app: FastifyInstance): void {
  app.decorateRequest('traceId', '');
  // Callback-style hooks: an async hook costs a promise per request on the sync hot path.
  app.addHook('preHandler', (request: FastifyRequest, _reply, done) => {
    const fromBody = (request.body as { trace_id?: unknown } | undefined)?.trace_id;
    // Route schemas already refuse a bad trace_id; checking again keeps a route that forgot from
    // putting an invalid value into the answer's header.
    if (typeof fromBody === 'string' && fromBody !== request.id && fromBody.length <= limits.traceIdLengthMax &&
        traceIdRegExp.test(fromBody)) {
      request.traceId = fromBody;
      request.log = request.log.child({ trace_id: fromBody });
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
