/**
 * Request validation: two Ajv instances compiled once per schema. Bodies are checked strictly
 * (no type coercion: "5" is not a number, and unknown fields are refused), while path and query
 * parameters, which arrive as text, are coerced to the schema's types.
 */
import { Ajv, type ErrorObject } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import { cursorPattern } from './pagination.js';
import { instantPattern, noNulPattern, traceIdPattern } from './schemas.js';

const ajvOptions = { allErrors: false, removeAdditional: false, useDefaults: true, strict: false } as const;
const bodyAjv = new Ajv({ ...ajvOptions, coerceTypes: false });
const textAjv = new Ajv({ ...ajvOptions, coerceTypes: 'array' });

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
  const validate = (httpPart === 'body' ? bodyAjv : textAjv).compile(schema);
  return (data: unknown) => (validate(data) ? { value: data } : { error: validationError(validate.errors ?? []) });
};

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
