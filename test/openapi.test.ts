// Proves /docs/json is a valid OpenAPI 3.1 document (checked by @apidevtools/swagger-parser
// against the official schema) generated from the route schemas: every route the app serves is
// listed with its methods, and request schemas appear as they validate (e.g. the batch bound).
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect } from 'vitest';
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
