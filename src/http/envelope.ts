/**
 * The response envelope of every JSON answer: `{ success, message, data, code? }`, and the JSON
 * schema helper that lets fastify serialise a route's envelope with a compiled stringifier.
 */
import type { ErrorCode } from '../errors.js';

export interface Envelope<T> {
  success: boolean;
  message: string;
  data: T;
  code?: ErrorCode;
}

export function ok<T>(data: T, message = 'OK'): Envelope<T> {
  return { success: true, message, data };
}

export function failure(code: ErrorCode, message: string): Envelope<null>;
export function failure<T>(code: ErrorCode, message: string, data: T): Envelope<T>;
export function failure(code: ErrorCode, message: string, data: unknown = null): Envelope<unknown> {
  return { success: false, message, data, code };
}

/**
 * The response schema of a successful envelope around `data`. Generic over the data schema so the
 * type provider derives the reply type from it.
 */
export function envelopeSchema<const Data extends object>(data: Data) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['success', 'message', 'data'],
    properties: { success: { type: 'boolean' }, message: { type: 'string' }, data, code: { type: 'string' } },
  } as const;
}

