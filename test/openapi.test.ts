// Proves /docs/json is a valid OpenAPI 3.1 document (checked by @apidevtools/swagger-parser
// against the official schema) generated from the route schemas: every route the app serves is
// listed with its methods, request schemas appear as they validate (e.g. the batch bound), and the
// document keeps the conventions of docs/http-routes.md that no linter checks for us (exact
// statuses, the shared error envelope with each operation's codes, int64, required, examples,
// security by role, headers).
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect } from 'vitest';
import { errorStatus } from '../src/http/openapi-errors.js';
import { appTest } from './helpers/app-test.js';

const it = appTest();

/**
 * Every (method, path) the app serves, read from fastify's route tree: each line is one node,
 * drawn four columns deeper than its parent (top-level nodes after four), whose path continues the parent's.
 */
function servedRoutes(tree: string): Set<string> {
  const routes = new Set<string>();
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ├└─]*)(\S.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (match === null) continue;
    const depth = match[1]!.length / 4 - 1;
    stack.length = depth;
    const path = (depth === 0 ? '' : stack[depth - 1]!) + match[2]!;
    stack.push(path);
    for (const method of match[3]!.split(', ')) {
      // HEAD is fastify's automatic twin of GET; the documentation UI's own routes are not the API.
      if (method !== 'HEAD' && !path.startsWith('/docs')) routes.add(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return routes;
}

describe('OpenAPI', () => {
  it('serves a valid OpenAPI 3.1 document at /docs/json listing every route', async ({ t }) => {
    const answer = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(answer.statusCode).toBe(200);
    const document = answer.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe('3.1.0');
    await SwaggerParser.validate(structuredClone(document) as never);

    const documented = new Set(Object.entries(document.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`)));
    const served = servedRoutes(t.app.printRoutes({ commonPrefix: false }));
    expect(served.size).toBeGreaterThanOrEqual(14);
    expect([...documented].sort()).toEqual([...served].sort());
    for (const route of [
      'POST /api/v1/sync-stock/batch', 'GET /api/v1/inventory', 'POST /api/v1/inventory/batch', 'PUT /api/v1/inventory/{productId}',
      'POST /api/v1/reservations', 'POST /api/v1/reservations/{id}/confirm', 'POST /api/v1/reservations/{id}/release',
      'GET /api/v1/inventory/{productId}/logs', 'GET /api/v1/logs',
    ]) expect(documented.has(route), route).toBe(true);
  });

  it('gives every operation a unique operationId, a summary, a description and declared tags', async ({ t }) => {
    const document = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      tags: { name: string }[];
      paths: Record<string, Record<string, { operationId?: string; summary?: string; description?: string; tags?: string[] }>>;
    };
    const declared = new Set(document.tags.map((tag) => tag.name));
    const operationIds: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(operation.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
        expect(operation.summary, where).toBeTruthy();
        expect(operation.description, where).toBeTruthy();
        expect(operation.tags?.length, where).toBe(1);
        expect(declared.has(operation.tags![0]!), where).toBe(true);
        operationIds.push(operation.operationId!);
      }
    }
    expect(new Set(operationIds).size).toBe(operationIds.length);
  });

  it('documents request schemas as they validate, and serves the UI at /docs', async ({ t }) => {
    const document = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const batch = document.paths['/api/v1/sync-stock/batch'].post.requestBody.content['application/json'].schema;
    expect(batch.properties.items.maxItems).toBe(1000);
    const list = document.paths['/api/v1/inventory'].get.parameters as { name: string; in: string }[];
    expect(list.map((parameter) => parameter.name).sort()).toEqual(['cursor', 'limit', 'low_stock', 'out_of_stock', 'status']);
    const ui = await t.app.inject({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
  });
});

type Json = Record<string, unknown>;
interface Operation {
  operationId: string;
  security?: Record<string, string[]>[];
  requestBody?: { required: boolean; content: Record<string, { example?: unknown; schema: Json }> };
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { example?: unknown; schema: Json }> }>;
}

function operationsOf(document: { paths: Record<string, Record<string, Operation>> }): [string, Operation][] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]): [string, Operation] => [`${method.toUpperCase()} ${path}`, operation]));
}

/** Every schema object under `node`, each with where it is. */
function schemasIn(node: unknown, where: string, out: [string, Json][] = []): [string, Json][] {
  if (Array.isArray(node)) node.forEach((entry, index) => schemasIn(entry, `${where}[${index}]`, out));
  else if (typeof node === 'object' && node !== null) {
    if ('type' in node) out.push([where, node as Json]);
    for (const [key, value] of Object.entries(node)) if (key !== 'example' && key !== 'examples') schemasIn(value, `${where}.${key}`, out);
  }
  return out;
}

describe('OpenAPI conventions (docs/http-routes.md)', () => {
  it('answers with exact statuses; errors are the shared ErrorEnvelope with the codes of that status', async ({ t }) => {
    const document = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    for (const [where, operation] of operationsOf(document)) {
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(status, where).toMatch(/^[1-5][0-9][0-9]$/);
        if (Number(status) < 400) continue;
        const schema = response.content!['application/json']!.schema as { allOf?: Json[]; properties?: { code: { enum: string[] } } };
        const codes = schema.allOf !== undefined
          ? (schema.allOf[1] as { properties: { code: { enum: string[] } } }).properties.code.enum
          : schema.properties!.code.enum;
        if (schema.allOf !== undefined) expect(schema.allOf[0], where).toEqual({ $ref: '#/components/schemas/ErrorEnvelope' });
        expect(codes.length, `${where} ${status}`).toBeGreaterThan(0);
        for (const code of codes) expect(errorStatus[code as keyof typeof errorStatus], `${where} ${code}`).toBe(Number(status));
      }
      // Every operation can be refused for a bad X-Trace-Id, fail on a bug, and meet a shutdown.
      expect(Object.keys(operation.responses), where).toEqual(expect.arrayContaining(['400', '500', '503']));
    }
    expect(document.components.schemas.ErrorEnvelope.properties.data).toEqual({ type: 'null' });
  });

  it('gives every API operation its role\'s bearer scheme and 401; /health and /metrics stay open', async ({ t }) => {
    const document = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const schemes = Object.keys(document.components.securitySchemes).sort();
    expect(schemes).toEqual(['operatorToken', 'readToken', 'syncToken']);
    for (const [where, operation] of operationsOf(document)) {
      if (!where.includes(' /api/v1/')) {
        expect(operation.security, where).toBeUndefined();
        expect(operation.responses['401'], where).toBeUndefined();
        continue;
      }
      expect(operation.security?.length, where).toBeGreaterThan(0);
      for (const requirement of operation.security!) for (const scheme of Object.keys(requirement)) expect(schemes, where).toContain(scheme);
      expect(operation.responses['401'], where).toBeDefined();
    }
    expect(document.paths['/api/v1/sync-stock'].post.security).toEqual([{ syncToken: [] }]);
    expect(document.paths['/api/v1/inventory'].post.security).toEqual([{ operatorToken: [] }]);
    expect(document.paths['/api/v1/inventory'].get.security).toEqual([{ readToken: [] }, { operatorToken: [] }]);
  });

  it('types every integer with a format, lists required fields, and shares models through components', async ({ t }) => {
    const document = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const schemas = [...schemasIn(document.paths, 'paths'), ...schemasIn(document.components.schemas, 'components')];
    const integers = schemas.filter(([, schema]) => schema.type === 'integer' || (Array.isArray(schema.type) && schema.type.includes('integer')));
    expect(integers.length).toBeGreaterThan(100);
    for (const [where, schema] of integers) expect(['int32', 'int64'], where).toContain(schema.format);
    for (const [name, model] of Object.entries(document.components.schemas as Record<string, Json>)) {
      for (const [where, schema] of schemasIn(model, name)) {
        if (schema.properties !== undefined && where !== `${name}.allOf[1]`) expect(schema.required, where).toBeDefined();
      }
    }
    expect(Object.keys(document.components.schemas)).toEqual(expect.arrayContaining(
      ['ErrorEnvelope', 'Inventory', 'ChangeResult', 'Reservation', 'LogRow', 'Alert', 'Diff']));
    const inventoryRef = { $ref: '#/components/schemas/InventoryEnvelope' };
    expect(document.paths['/api/v1/inventory/{productId}'].get.responses['200'].content['application/json'].schema).toEqual(inventoryRef);
    expect(document.paths['/api/v1/inventory/{productId}'].put.responses['200'].content['application/json'].schema).toEqual(inventoryRef);
    const statusEnum = document.components.schemas.Inventory.properties.status.enum;
    expect(statusEnum).toEqual(['active', 'inactive', 'locked']);
  });

  it('shows an example of every request body and main answer, X-Trace-Id on every answer, Retry-After on 503', async ({ t }) => {
    const document = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    for (const [where, operation] of operationsOf(document)) {
      if (operation.requestBody !== undefined) {
        for (const media of Object.values(operation.requestBody.content)) expect(media.example, `${where} body`).toBeDefined();
      }
      // The main answer: a success that shows an example (reserve shows its 201, not the replay's 200).
      const successes = Object.entries(operation.responses).filter(([status]) => status.startsWith('2'));
      expect(successes.length, where).toBeGreaterThan(0);
      const shown = successes.filter(([, response]) => Object.values(response.content!).every((media) => media.example !== undefined));
      expect(shown.length, `${where}: a success answer with an example`).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(response.headers?.['X-Trace-Id'], `${where} ${status}`).toEqual({ $ref: '#/components/headers/X-Trace-Id' });
        if (status === '503') expect(response.headers?.['Retry-After'], `${where} ${status}`).toBeDefined();
      }
    }
    expect(document.paths['/api/v1/sync-stock/batch'].post.responses['200'].headers['Retry-After']).toBeDefined();
    for (const action of ['confirm', 'release']) {
      expect(document.paths[`/api/v1/reservations/{id}/${action}`].post.requestBody.required).toBe(false);
    }
    expect(document.paths['/api/v1/sync-stock'].post.requestBody.required).toBe(true);
  });
});
