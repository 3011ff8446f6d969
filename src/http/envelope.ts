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

/** An error answer: `code` is always set. */
export type FailureEnvelope<T> = Envelope<T> & { code: ErrorCode };

export function failure(code: ErrorCode, message: string): FailureEnvelope<null>;
export function failure<T>(code: ErrorCode, message: string, data: T): FailureEnvelope<T>;
export function failure(code: ErrorCode, message: string, data: unknown = null): FailureEnvelope<unknown> {
  return { success: false, message, data, code };
}

/**
 * The response schema of a successful envelope around `data`. Generic over the data schema so the
 * type provider derives the reply type from it. Around a titled model (`Inventory`) the envelope is
 * a model too (`InventoryEnvelope`), so operations answering the same shape share one. `example`
 * is the data of the example answer the OpenAPI document shows.
 */
export function envelopeSchema<const Data extends object>(data: Data, example?: unknown, exampleMessage = 'OK') {
  const title = (data as { title?: unknown }).title;
  return {
    ...(typeof title === 'string' ? { title: `${title}Envelope` } : {}),
    type: 'object',
    additionalProperties: false,
    required: ['success', 'message', 'data'],
    properties: { success: { type: 'boolean' }, message: { type: 'string' }, data },
    ...(example === undefined ? {} : { examples: [{ success: true, message: exampleMessage, data: example }] }),
  } as const;
}
