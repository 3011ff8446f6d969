/**
 * Answers fastify and Node give before any route runs, in our envelope. Node's HTTP parser
 * refuses some requests before fastify sees them (headers over `limits.headerBytesMax`: 431; a
 * request not complete within `server.request_timeout_ms`: 408; bytes that are not HTTP: 400):
 * fastify's `clientErrorHandler` writes those straight to the socket, then closes it. The router
 * refuses others (a malformed %-escape, a path parameter over `limits.pathParamLengthMax`):
 * `frameworkErrors`. No answer echoes any part of the request back.
 */
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { type AppError, errors } from '../errors.js';
import * as limits from '../limits.js';
import { failure } from './envelope.js';

export function clientErrorHandler(requestTimeoutMs: number): FastifyServerOptions['clientErrorHandler'] {
  return (error: Error & { code?: string }, socket: Socket) => {
    // A reset connection has nobody left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    if (socket.writable) socket.write(rawAnswer(clientErrorOf(error.code, requestTimeoutMs)));
    socket.destroy();
  };
}

function clientErrorOf(code: string | undefined, requestTimeoutMs: number): AppError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW': return errors.headersTooLarge(limits.headerBytesMax);
    case 'ERR_HTTP_REQUEST_TIMEOUT': return errors.requestTimeout(requestTimeoutMs);
    default: return errors.malformedRequest();
  }
}

function rawAnswer(error: AppError): string {
  const body = JSON.stringify(failure(error.code, error.message));
  return `HTTP/1.1 ${error.statusCode} ${STATUS_CODES[error.statusCode]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const answer = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? errors.uriTooLong(limits.pathParamLengthMax)
    : error.code === 'FST_ERR_BAD_URL' ? errors.badUrl()
    : errors.internal();
  // No hook runs for these, the trace id's included: name it here, as every other answer does.
  void reply.header('x-trace-id', request.id);
  void reply.code(answer.statusCode).send(failure(answer.code, answer.message));
}
