// Proves the document's shared models: a titled schema becomes one components entry and a $ref at
// every use, a nullable use becomes anyOf [$ref, null], a use's description stays beside its $ref,
// and two different schemas under one title fail the document instead of one silently winning.
import { describe, expect, it } from 'vitest';
import { addResponseHeaders, hoistModels } from '../../../src/http/openapi-components.js';

const pair = { title: 'Pair', type: 'object', required: ['a'], properties: { a: { type: 'integer', format: 'int64' } } };

describe('hoistModels', () => {
  it('moves each titled schema to components once and refers to it everywhere', () => {
    const document = {
      paths: {
        '/x': { get: { responses: { 200: { content: { 'application/json': {
          schema: { type: 'object', properties: { first: pair, second: { ...pair, type: ['object', 'null'], description: 'null when none' } } },
          example: { first: { a: 1 }, second: null, title: 'not a schema' },
        } } } } } },
      },
    };
    hoistModels(document);
    const { title: _title, ...model } = pair;
    expect(document).toEqual({
      paths: {
        '/x': { get: { responses: { 200: { content: { 'application/json': {
          schema: { type: 'object', properties: {
            first: { $ref: '#/components/schemas/Pair' },
            second: { anyOf: [{ $ref: '#/components/schemas/Pair' }, { type: 'null' }], description: 'null when none' },
          } },
          example: { first: { a: 1 }, second: null, title: 'not a schema' },
        } } } } } },
      },
      components: { schemas: { Pair: { ...model, title: 'Pair' } } },
    });
  });

  it('fails on two different schemas under one title', () => {
    const other = { ...pair, required: [] };
    expect(() => hoistModels({ paths: { a: pair, b: other } })).toThrow(/two different schemas are titled 'Pair'/);
  });
});

describe('addResponseHeaders', () => {
  it('puts X-Trace-Id on every answer and Retry-After on 503 and where a route declared it', () => {
    const document = { paths: { '/x': { post: { responses: { 200: { headers: { 'Retry-After': { schema: {} } } }, 201: {}, 503: {} } } } } };
    addResponseHeaders(document);
    const trace = { $ref: '#/components/headers/X-Trace-Id' };
    const retry = { $ref: '#/components/headers/Retry-After' };
    expect(document.paths['/x'].post.responses).toEqual({
      200: { headers: { 'Retry-After': retry, 'X-Trace-Id': trace } }, 201: { headers: { 'X-Trace-Id': trace } },
      503: { headers: { 'X-Trace-Id': trace, 'Retry-After': retry } },
    });
  });
});
