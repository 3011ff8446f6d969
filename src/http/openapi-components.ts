/**
 * Finishing touches on the generated OpenAPI document that no single route can make:
 * - shared models: a route schema gives a shared model a `title` (`Inventory`, `ErrorEnvelope`);
 *   each titled schema becomes one entry of `components.schemas` and every use a `$ref` to it,
 *   so a generated client gets one class per model instead of one per operation. The route
 *   schemas stay inline JSON schemas, because the type provider (json-schema-to-ts) derives the
 *   request and reply types from them and the serialiser compiles them as they are; resolving
 *   `$ref`s would need every shared schema listed in the provider's type.
 * - the headers every answer carries (`X-Trace-Id`), and `Retry-After` on every 503.
 */
import { isDeepStrictEqual } from 'node:util';
import { assert } from '../assert.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const modelName = /^[A-Z][A-Za-z0-9]*$/;

/** Keys whose values are data, not schemas: never hoisted from. */
const dataKeys: ReadonlySet<string> = new Set(['example', 'examples', 'enum', 'const', 'default']);

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A titled schema that also admits null (`type: ['object', 'null']`): the model, and that it is nullable. */
function splitNull(schema: JsonObject): { model: JsonObject; nullable: boolean } {
  const type = schema.type;
  if (!Array.isArray(type) || !type.includes('null')) return { model: schema, nullable: false };
  const rest = type.filter((entry) => entry !== 'null');
  return { model: { ...schema, type: rest.length === 1 ? rest[0]! : rest }, nullable: true };
}

/**
 * Moves every titled schema under `paths` to `components.schemas` (nested ones first) and puts a
 * `$ref` in its place; a nullable use becomes `anyOf: [$ref, null]`. Two different schemas under
 * one title are a bug in the route schemas, and fail the document.
 */
export function hoistModels(document: JsonObject): void {
  const components = (document.components ??= {}) as JsonObject;
  const models = (components.schemas ??= {}) as JsonObject;
  const visit = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(visit);
    if (!isObject(node)) return node;
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(node)) out[key] = dataKeys.has(key) ? value : visit(value);
    // `title` as a property name sits under `properties`, where its value is a schema, not a string.
    if (typeof out.title !== 'string') return out;
    const name = out.title;
    assert(modelName.test(name), `model title '${name}' is not PascalCase`);
    // A description says what the model is at this use ("null when the item was refused"): it stays
    // beside the `$ref` (OpenAPI 3.1 allows that), and the model itself is compared without it.
    const { model: { description, ...model }, nullable } = splitNull(out);
    const known = models[name];
    if (known === undefined) models[name] = model;
    else assert(isDeepStrictEqual(known, model), `two different schemas are titled '${name}'; give one another title`);
    const ref: JsonObject = { $ref: `#/components/schemas/${name}` };
    const use: JsonObject = nullable ? { anyOf: [ref, { type: 'null' }] } : ref;
    return description === undefined ? use : { ...use, description };
  };
  document.paths = visit(document.paths ?? {});
  components.schemas = Object.fromEntries(Object.entries(models).sort(([a], [b]) => a.localeCompare(b)));
}

export const responseHeaders = {
  'X-Trace-Id': {
    description: 'The trace id of this request: the request\'s X-Trace-Id header or body trace_id, else a generated one. ' +
      'It is on the log rows and log lines the request wrote.',
    schema: { type: 'string', minLength: 1, maxLength: 128 },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying (sent with OVERLOADED, DATABASE_UNAVAILABLE, COMMIT_OUTCOME_UNKNOWN, ' +
      'REDIS_UNAVAILABLE and SHUTTING_DOWN).',
    schema: { type: 'integer', format: 'int32', minimum: 0 },
  },
} as const;

const headerRef = (name: keyof typeof responseHeaders): JsonObject => ({ $ref: `#/components/headers/${name}` });

/** `X-Trace-Id` on every response; `Retry-After` on every 503 and where a route declared it. */
export function addResponseHeaders(document: JsonObject): void {
  const components = (document.components ??= {}) as JsonObject;
  components.headers = structuredClone(responseHeaders) as unknown as JsonObject;
  for (const operation of operationsOf(document)) {
    for (const [status, response] of Object.entries(operation.responses as JsonObject)) {
      assert(isObject(response), `response ${status} is not an object`);
      const headers = (response.headers ?? {}) as JsonObject;
      const retryAfter = status === '503' || headers['Retry-After'] !== undefined;
      response.headers = { ...headers, 'X-Trace-Id': headerRef('X-Trace-Id'), ...(retryAfter ? { 'Retry-After': headerRef('Retry-After') } : {}) };
    }
  }
}

export const httpMethods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Every operation object of the document. */
export function operationsOf(document: JsonObject): JsonObject[] {
  const operations: JsonObject[] = [];
  for (const item of Object.values((document.paths ?? {}) as JsonObject)) {
    if (!isObject(item)) continue;
    for (const method of httpMethods) if (isObject(item[method])) operations.push(item[method]);
  }
  return operations;
}
