/**
 * Request validation: two Ajv instances compiled once per schema. Bodies are checked strictly
 * (no type coercion: "5" is not a number, and unknown fields are refused), while path and query
 * parameters, which arrive as text, are coerced to the schema's types — but a number must be
 * written as plain decimal digits first: Ajv would read "0x1196", "4.502e3" and " 4502 " as 4502,
 * so two spellings of one id could name the same product. Every string of every part, once valid,
 * must also be storable: no NUL (PostgreSQL text cannot hold it) and no lone UTF-16 surrogate
 * (PostgreSQL would store U+FFFD, so two different ids would become one key).
 */
import { Ajv, type ErrorObject } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import { errors } from '../errors.js';
import { cursorPattern } from './pagination.js';
import { instantPattern, noNulPattern, traceIdPattern } from './schemas.js';

const ajvOptions = { allErrors: false, removeAdditional: false, useDefaults: true, strict: false } as const;
const bodyAjv = new Ajv({ ...ajvOptions, coerceTypes: false });
const textAjv = new Ajv({ ...ajvOptions, coerceTypes: 'array' });
// Formats are there for the OpenAPI document; the checks are the schema's own pattern
// (`instantPattern`, the run id's) and integer bounds, so Ajv is told the formats exist rather
// than warn about them at every compile.
for (const ajv of [bodyAjv, textAjv]) for (const format of ['date-time', 'uuid', 'int32', 'int64']) ajv.addFormat(format, true);

/** A whole number as a client should write it in a path or query: decimal digits, no leading zero. */
const plainDigits = /^(0|[1-9][0-9]*)$/;
/** NUL, or a surrogate that is not half of a pair (with the u flag a pair is one code point). */
const unstorable = /[\u0000\uD800-\uDFFF]/u;

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
  const part = httpPart ?? 'body';
  const isBody = part === 'body';
  const validate = (isBody ? bodyAjv : textAjv).compile(schema);
  const numberFields = isBody ? [] : numberPropertiesOf(schema);
  return (data: unknown) => {
    const loose = looseNumberField(data, numberFields);
    if (loose !== null) {
      return { error: errors.validation(`${part}.${loose}`, 'must be a whole number written as plain digits (no sign, space, exponent or hex)') };
    }
    if (!validate(data)) return { error: validationError(validate.errors ?? []) };
    const bad = unstorableString(data, part);
    if (bad !== null) return { error: errors.validation(bad.path, bad.problem) };
    return { value: data };
  };
};

/** The properties a parameter schema types as integer or number. */
function numberPropertiesOf(schema: object): string[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  return Object.entries(properties)
    .filter(([, property]) => [property.type].flat().some((type) => type === 'integer' || type === 'number'))
    .map(([name]) => name);
}

function looseNumberField(data: unknown, fields: readonly string[]): string | null {
  if (fields.length === 0 || data === null || typeof data !== 'object') return null;
  for (const field of fields) {
    const value = (data as Record<string, unknown>)[field];
    if (value === undefined) continue;
    const texts = Array.isArray(value) ? value : [value];
    if (texts.some((text) => typeof text === 'string' && !plainDigits.test(text))) return field;
  }
  return null;
}

/** The first string (depth first) PostgreSQL could not store as sent, with its path and what is wrong. */
export function unstorableString(value: unknown, path: string): { path: string; problem: string } | null {
  if (typeof value === 'string') {
    if (!unstorable.test(value)) return null;
    return { path, problem: value.includes('\u0000') ? 'must not contain NUL characters' : 'must be well-formed UTF-16 (it contains a lone surrogate)' };
  }
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      const found = unstorableString(value[index], `${path}.${index}`);
      if (found !== null) return found;
    }
    return null;
  }
  for (const key in value) {
    const found = unstorableString((value as Record<string, unknown>)[key], `${path}.${key}`);
    if (found !== null) return found;
  }
  return null;
}

/** An error carrying Ajv's findings; the error handler turns the first into a sentence. */
function validationError(findings: ErrorObject[]): Error {
  const error = new Error('validation failed') as Error & { validation: ErrorObject[] };
  error.validation = findings;
  return error;
}

/** "body.delta must be an integer" — names the field, says what would be accepted. */
export function describeValidation(context: string, finding: ErrorObject): string {
  const path = finding.instancePath.slice(1).replaceAll('/', '.');
  const field = path ? `${context}.${path}` : context;
  const params = finding.params as Record<string, unknown>;
  switch (finding.keyword) {
    case 'required': return `${field}.${String(params.missingProperty)} is required`;
    case 'additionalProperties': return `${field}.${String(params.additionalProperty)} is not a known field`;
    case 'type': return `${field} must be ${String(params.type).split(',').map(article).join(' or ')}`;
    case 'not': return `${field} must not be 0`;
    case 'minimum': return `${field} must be at least ${String(params.limit)}`;
    case 'maximum': return `${field} must be at most ${String(params.limit)}`;
    case 'minLength': return `${field} must not be empty`;
    case 'maxLength': return `${field} must be at most ${String(params.limit)} characters`;
    case 'minItems': return `${field} must have at least ${String(params.limit)} item(s)`;
    case 'maxItems': return `${field} must have at most ${String(params.limit)} items`;
    case 'enum': return `${field} must be one of: ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'pattern': return `${field} ${patternProblems[String(params.pattern)] ?? 'has an invalid format'}`;
    default: return `${field} ${finding.message ?? 'is invalid'}`;
  }
}

/** What each pattern in the schemas means, in words a client can act on. */
const patternProblems: Record<string, string> = {
  [noNulPattern]: 'must not contain NUL characters',
  [traceIdPattern]: 'must be printable ASCII without spaces',
  [cursorPattern]: 'is not a cursor from a previous page',
  [instantPattern]: 'must be an ISO 8601 time with a zone, e.g. 2026-11-30T08:00:00Z',
};

function article(type: string): string {
  if (type === 'null') return 'null';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
