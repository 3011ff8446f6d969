// Proves the served OpenAPI document is true: every operation it lists is driven through its
// success and every error status it documents, each request is checked against the document by
// openapi-request-validator and each answer by openapi-response-validator (status, body, and the
// X-Trace-Id / Retry-After headers), so an undocumented status or a body off its schema fails.
// The operations come from the document itself: a route without cases here, or a documented
// status no case reaches, fails the last test. Statuses every route shares are driven generically:
// 400 (a bad X-Trace-Id), 401 (no token), 413/415 (body refusals), 414 (a long path parameter),
// 500 (a bug: every service throws), 501 (the naive engine's refusal) and 503 (SHUTTING_DOWN, on
// a connection opened before the instance began to drain).
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, describe, expect } from 'vitest';
import { buildApp } from '../src/app.js';
import { errors } from '../src/errors.js';
import * as limits from '../src/limits.js';
import { appTest } from './helpers/app-test.js';
import {
  duringDrain, failingApp, operationsOf, requestProblems, responseProblems, urlOf,
  type Call, type OpenApiDocument, type Operation, type RawAnswer,
} from './helpers/openapi-contract.js';
import {
  alertOf, closedDiffOf, finishedOrderOf, finishedReservationOf, fixturesOf, heldOrderOf, nextOrderId, pendingDiffOf, product,
  reservationOf, send, tokenOf, tokens, unknownRunId, versionOf, type Fixtures,
} from './helpers/openapi-contract-fixtures.js';
import type { TestApp } from './helpers/test-env.js';

const it = appTest({ server: { auth: { tokens } } });

type Case = [status: number, name: string, call: (fx: Fixtures) => Call | Promise<Call>];

/** Per operation: its success first (the generic cases reuse it), then its own errors. */
const cases: Record<string, Case[]> = {
  syncStock: [
    [200, 'a deduction', () => ({ body: { product_id: product.main, delta: -1, order_id: `contract-${Date.now()}` } })],
    [404, 'an unknown product', () => ({ body: { product_id: product.missing, delta: -1 } })],
    [409, 'more than available', () => ({ body: { product_id: product.scarce, delta: -5 } })],
    [423, 'a locked product', () => ({ body: { product_id: product.locked, delta: 1 } })],
  ],
  syncStockBatch: [
    [200, 'one applied, one refused', () => ({
      body: { items: [{ product_id: product.main, delta: 1 }, { product_id: product.locked, delta: 1 }] },
    })],
  ],
  createInventory: [
    [201, 'a new product', () => ({ body: { product_id: 931_000 + Math.floor(Math.random() * 8_000), product_name: 'New', stock: 5 } })],
    [409, 'an existing product', () => ({ body: { product_id: product.main } })],
  ],
  getInventory: [
    [200, 'a product', () => ({ params: { productId: product.main } })],
    [404, 'an unknown product', () => ({ params: { productId: product.missing } })],
  ],
  listInventory: [[200, 'a filtered page', () => ({ query: { status: 'active', limit: 2 } })]],
  batchGetInventory: [[200, 'one found, one missing', () => ({ body: { product_ids: [product.main, product.missing] } })]],
  updateInventory: [
    [200, 'a rename at the current version', async ({ t }) => ({
      params: { productId: product.main }, body: { version: await versionOf(t.app, product.main), product_name: 'Renamed' },
    })],
    [404, 'an unknown product', () => ({ params: { productId: product.missing }, body: { version: 1, product_name: 'x' } })],
    [409, 'a stale version', () => ({ params: { productId: product.main }, body: { version: 1, product_name: 'x' } })],
  ],
  reserveStock: [
    [201, 'a new reservation', () => ({ body: { product_id: product.main, quantity: 1, order_id: `contract-new-${Date.now()}` } })],
    [200, 'the same order again', async ({ t }) => {
      const body = { product_id: product.main, quantity: 1, order_id: `contract-again-${Date.now()}` };
      await send(t.app, 'POST', '/api/v1/reservations', 'sync', body);
      return { body };
    }],
    [404, 'an unknown product', () => ({ body: { product_id: product.missing, quantity: 1, order_id: 'contract-404' } })],
    [409, 'more than available', () => ({ body: { product_id: product.scarce, quantity: 50, order_id: 'contract-409' } })],
    [423, 'a locked product', () => ({ body: { product_id: product.locked, quantity: 1, order_id: 'contract-423' } })],
  ],
  confirmReservation: [
    [200, 'a pending reservation, no body', async ({ t }) => ({ params: { id: await reservationOf(t.app, product.main) } })],
    [404, 'an unknown reservation', () => ({ params: { id: 939_999_999 }, body: { reason: 'paid' } })],
    [409, 'a confirmed one', async ({ t }) => ({ params: { id: await finishedReservationOf(t.app, 'confirm') } })],
    [423, 'on a product locked since', async ({ t }) => {
      const id = await reservationOf(t.app, product.toLock);
      const version = await versionOf(t.app, product.toLock);
      await send(t.app, 'PUT', `/api/v1/inventory/${product.toLock}`, 'operator', { version, status: 'locked' });
      return { params: { id } };
    }],
  ],
  releaseReservation: [
    [200, 'a pending reservation', async ({ t }) => ({ params: { id: await reservationOf(t.app, product.main) }, body: { reason: 'cancelled' } })],
    [404, 'an unknown reservation', () => ({ params: { id: 939_999_999 } })],
    [409, 'a released one', async ({ t }) => ({ params: { id: await finishedReservationOf(t.app, 'release') } })],
  ],
  getReservation: [
    [200, 'a reservation', async ({ t }) => ({ params: { id: await reservationOf(t.app, product.main) } })],
    [404, 'an unknown reservation', () => ({ params: { id: 939_999_999 } })],
  ],
  holdOrder: [
    [201, 'a new hold', () => ({ params: { orderId: nextOrderId() }, body: { items: [{ product_id: product.main, quantity: 1 }] } })],
    [200, 'the same lines again', async ({ t }) => {
      const orderId = await heldOrderOf(t.app);
      return { params: { orderId }, body: { items: [{ product_id: product.main, quantity: 1 }] } };
    }],
    [409, 'a line that cannot be held', () => ({
      params: { orderId: nextOrderId() }, body: { items: [{ product_id: product.main, quantity: 1 }, { product_id: product.scarce, quantity: 50 }] },
    })],
  ],
  confirmOrderHold: [
    [200, 'a held order, no body', async ({ t }) => ({ params: { orderId: await heldOrderOf(t.app) } })],
    [404, 'an unknown order', () => ({ params: { orderId: 'contract-no-such-order' } })],
    [409, 'a released order', async ({ t }) => ({ params: { orderId: await finishedOrderOf(t.app, 'release') } })],
    [423, 'a line on a product locked since', async ({ t }) => {
      const orderId = nextOrderId();
      const held = await send(t.app, 'POST', `/api/v1/orders/${orderId}/holds`, 'sync', { items: [{ product_id: product.orderToLock, quantity: 1 }] });
      expect(held.success, JSON.stringify(held)).toBe(true);
      const version = await versionOf(t.app, product.orderToLock);
      await send(t.app, 'PUT', `/api/v1/inventory/${product.orderToLock}`, 'operator', { version, status: 'locked' });
      return { params: { orderId } };
    }],
  ],
  releaseOrderHold: [
    [200, 'a held order', async ({ t }) => ({ params: { orderId: await heldOrderOf(t.app) }, body: { reason: 'cart abandoned' } })],
    [404, 'an unknown order', () => ({ params: { orderId: 'contract-no-such-order' } })],
    [409, 'a confirmed order', async ({ t }) => ({ params: { orderId: await finishedOrderOf(t.app, 'confirm') } })],
  ],
  getOrderHold: [
    [200, 'a held order', async ({ t }) => ({ params: { orderId: await heldOrderOf(t.app) } })],
    [404, 'an unknown order', () => ({ params: { orderId: 'contract-no-such-order' } })],
  ],
  listProductLogs: [
    [200, 'a product\'s rows', () => ({ params: { productId: product.main }, query: { limit: 2 } })],
    [404, 'an unknown product', () => ({ params: { productId: product.missing } })],
  ],
  listLogsByOrderOrTrace: [[200, 'an order\'s rows', () => ({ query: { order_id: 'contract-seed' } })]],
  runHealthCheck: [[200, 'a completed run', () => ({})]],
  triggerHealthCheck: [[202, 'a background run', () => ({})]],
  getHealthRun: [
    [200, 'a finished run', ({ runId }) => ({ params: { runId } })],
    [404, 'an unknown run', () => ({ params: { runId: unknownRunId } })],
  ],
  listDiffs: [[200, 'pending diffs', () => ({ query: { status: 'pending' } })]],
  fixDiffs: [[200, 'one unknown id', () => ({ body: { diff_ids: [939_999_999], fix_type: 'ignore' } })]],
  fixDiff: [
    [200, 'ignore a pending diff', async ({ t }) => ({ params: { diffId: await pendingDiffOf(t) }, body: { fix_type: 'ignore' } })],
    [404, 'an unknown diff', () => ({ params: { diffId: 939_999_999 }, body: { fix_type: 'ignore' } })],
    [409, 'a closed diff', async ({ t }) => ({ params: { diffId: await closedDiffOf(t) }, body: { fix_type: 'ignore' } })],
    [423, 'use_redis on a locked product', async ({ t }) => ({ params: { diffId: await pendingDiffOf(t, [product.lockedDiff]) }, body: { fix_type: 'use_redis' } })],
  ],
  listAlerts: [[200, 'pending alerts', () => ({ query: { status: 'pending' } })]],
  ackAlert: [
    [200, 'a pending alert', async ({ t }) => ({ params: { alertId: await alertOf(t, 'pending') }, body: { status: 'closed', operator: 'ops' } })],
    [404, 'an unknown alert', () => ({ params: { alertId: 939_999_999 }, body: { status: 'ignored' } })],
    [409, 'a closed alert', async ({ t }) => ({ params: { alertId: await alertOf(t, 'closed') }, body: { status: 'ignored' } })],
  ],
  getInventoryStats: [[200, 'the catalogue', () => ({})]],
  getServiceStats: [[200, 'this instance', () => ({})]],
  auditProductLedger: [
    [200, 'an agreeing product', () => ({ params: { productId: product.main } })],
    [404, 'an unknown product', () => ({ params: { productId: product.missing } })],
  ],
  getStockAtTime: [
    [200, 'now', () => ({ params: { productId: product.main }, query: { time: new Date().toISOString() } })],
    [404, 'an unknown product', () => ({ params: { productId: product.missing }, query: { time: new Date().toISOString() } })],
  ],
  restoreProductStock: [
    [200, 'to its first row', ({ logId }) => ({ params: { productId: product.main }, body: { to_log_id: logId, reason: 'contract', operator: 'ops' } })],
    [404, 'an unknown product', () => ({ params: { productId: product.missing }, body: { to_log_id: 1, reason: 'contract', operator: 'ops' } })],
    [409, 'a stale expected_version', ({ logId }) => ({
      params: { productId: product.main }, body: { to_log_id: logId, reason: 'contract', operator: 'ops', expected_version: 1 },
    })],
    [423, 'a locked product', ({ lockedLogId }) => ({
      params: { productId: product.locked }, body: { to_log_id: lockedLogId, reason: 'contract', operator: 'ops' },
    })],
  ],
  startLedgerAudit: [[202, 'a full audit', () => ({})]],
  getLedgerAudit: [
    [200, 'a started audit', ({ auditRunId }) => ({ params: { runId: auditRunId } })],
    [404, 'an unknown audit', () => ({ params: { runId: unknownRunId } })],
  ],
  getHealth: [[200, 'all dependencies answer', () => ({})]],
  getMetrics: [[200, 'the registry', () => ({})]],
  // Last: a rebuild rewrites Redis from PostgreSQL, so the diffs the fixture made would go stale.
  rebuildRedis: [[202, 'a rebuild of Redis', () => ({})]],
};

/**
 * Documented statuses no request here can reach, each with why. Everything else documented must
 * be driven; an entry here that is driven after all, or no longer documented, fails too.
 */
const notDriven: Record<string, string> = {
  'syncStockBatch 500': 'each item\'s failure, a bug included, is answered inside the 200 (results[].code INTERNAL_ERROR)',
  'getHealth 500': 'its probes turn every failure into 503 with status down',
};

// ---- Driving and checking ------------------------------------------------------------------------

let document: OpenApiDocument | null = null;
async function documentOf(app: FastifyInstance): Promise<OpenApiDocument> {
  document ??= (await app.inject({ method: 'GET', url: '/docs/json' })).json() as OpenApiDocument;
  return document;
}

/** Every (operationId, status) an answer was checked for. */
const driven = new Set<string>();
/** The success call of each operation, for the drain test. */
const successCalls = new Map<string, Call>();

interface Sent { status: number; headers: Record<string, unknown>; body: unknown }

function injectOptions(operation: Operation, call: Call, token: string | null): InjectOptions {
  const headers: Record<string, string> = { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...call.headers };
  const options: InjectOptions = { method: operation.method as InjectOptions['method'], url: urlOf(operation, call), headers };
  if (call.raw !== undefined) return { ...options, payload: call.raw.payload, headers: { ...headers, 'content-type': call.raw.contentType } };
  return call.body === undefined ? options : { ...options, payload: call.body as object };
}

async function inject(app: FastifyInstance, operation: Operation, call: Call, token: string | null): Promise<Sent> {
  const response = await app.inject(injectOptions(operation, call, token));
  const isJson = String(response.headers['content-type']).startsWith('application/json');
  return { status: response.statusCode, headers: response.headers, body: isJson ? response.json() : response.body };
}

/** The answer matches the document: a documented status, its schema, its headers. */
function checkAnswer(doc: OpenApiDocument, operation: Operation, answer: Sent | RawAnswer, expected: number, name: string): void {
  const where = `${operation.operationId} ${name}`;
  expect(answer.status, `${where}: ${JSON.stringify(answer.body)}`).toBe(expected);
  expect(responseProblems(doc, operation, answer.status, answer.body), where).toEqual([]);
  expect(answer.headers['x-trace-id'], `${where}: X-Trace-Id`).toBeTruthy();
  const documented = operation.object.responses[String(answer.status)]!;
  if (answer.status === 503 && (answer.body as { code?: string }).code !== 'RECONCILIATION_FAILED') {
    expect(documented.headers?.['Retry-After'], where).toBeDefined();
    expect(answer.headers['retry-after'], `${where}: Retry-After`).toMatch(/^[0-9]+$/);
  }
  driven.add(`${operation.operationId} ${answer.status}`);
}

function operationNamed(doc: OpenApiDocument, operationId: string): Operation {
  const operation = operationsOf(doc).find((entry) => entry.operationId === operationId);
  if (operation === undefined) throw new Error(`${operationId} has cases here but is not in the document`);
  return operation;
}

const failingApps: FastifyInstance[] = [];
let bugApp: Promise<FastifyInstance> | null = null;
let naiveApp: Promise<FastifyInstance> | null = null;
afterAll(async () => {
  for (const app of failingApps) await app.close();
});
const started = (app: Promise<FastifyInstance>) => app.then((ready) => { failingApps.push(ready); return ready; });

/** 413: a body past limits.bodyLimitBytes (6 MiB), refused on its Content-Length before it is read. */
const oversizedBody = `{"items":"${'a'.repeat(7 * 1024 * 1024)}"}`;
const methodsWithBody = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

describe('OpenAPI contract: every operation, every documented status, checked by the document', () => {
  for (const [operationId, operationCases] of Object.entries(cases)) {
    it(operationId, async ({ t }) => {
      const doc = await documentOf(t.app);
      const operation = operationNamed(doc, operationId);
      const fx = await fixturesOf(t);
      const token = tokenOf(operation);
      for (const [status, name, build] of operationCases) {
        const call = await build(fx);
        expect(requestProblems(doc, operation, call), `${operationId} ${name}: the request conforms`).toEqual([]);
        checkAnswer(doc, operation, await inject(t.app, operation, call, token), status, name);
      }
      // The generic statuses, on the success request (built afresh: it may need a new reservation).
      // These requests are malformed or unauthorised on purpose: only their answers are checked.
      const success = await operationCases[0]![2](fx);
      successCalls.set(operationId, success);
      checkAnswer(doc, operation, await inject(t.app, operation, { ...success, headers: { 'x-trace-id': 'not a trace id' } }, token), 400, 'bad X-Trace-Id');
      if (token !== null) checkAnswer(doc, operation, await inject(t.app, operation, success, null), 401, 'no token');
      if (methodsWithBody.has(operation.method)) {
        checkAnswer(doc, operation, await inject(t.app, operation, { ...success, raw: { payload: oversizedBody, contentType: 'application/json' } }, token), 413, 'oversized body');
        checkAnswer(doc, operation, await inject(t.app, operation, { ...success, raw: { payload: '<x/>', contentType: 'application/xml' } }, token), 415, 'XML body');
      }
      const firstParam = Object.keys(success.params ?? {})[0];
      if (firstParam !== undefined) {
        const long = { ...success, params: { ...success.params, [firstParam]: 'a'.repeat(limits.pathParamLengthMax + 1) } };
        checkAnswer(doc, operation, await inject(t.app, operation, long, token), 414, 'long path parameter');
      }
      if (!(`${operationId} 500` in notDriven)) {
        bugApp ??= started(failingApp(t.services, () => new TypeError('injected bug')));
        checkAnswer(doc, operation, await inject(await bugApp, operation, success, token), 500, 'a bug in a service');
      }
      if (operation.object.responses['501'] !== undefined) {
        naiveApp ??= started(failingApp(t.services, () => errors.notInNaiveMode('this change')));
        checkAnswer(doc, operation, await inject(await naiveApp, operation, success, token), 501, 'the naive engine');
      }
    });
  }

  it('answers 202, 404 and 503 RECONCILIATION_FAILED from the health check as documented (report stubbed)', async ({ t }) => {
    const doc = await documentOf(t.app);
    const operation = operationNamed(doc, 'runHealthCheck');
    const fx = await fixturesOf(t);
    const report = (await send(t.app, 'GET', `/api/v1/health/runs/${fx.runId}`, 'read')).data;
    // A run whose row is gone by the time it is read (404 RUN_NOT_FOUND), one still going, one failed.
    for (const [status, outcome] of [[404, 'vanished'], [202, 'running'], [503, 'failed']] as const) {
      const reconciler = new Proxy(t.services.reconciler, {
        get(target, key) {
          if (key === 'start') return async () => ({ runId: fx.runId, joined: true });
          if (key === 'report') {
            return async () => outcome === 'vanished' ? null : { ...report, status: outcome, error: outcome === 'failed' ? 'database error' : null };
          }
          const value = Reflect.get(target, key, target) as unknown;
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      const app = await started(buildStubbedApp(t, { reconciler }));
      checkAnswer(doc, operation, await inject(app, operation, {}, tokens.operator), status, `a ${outcome} run`);
    }
  });

  it('answers 503 SHUTTING_DOWN with Retry-After on every operation while the instance drains', async ({ t }) => {
    const doc = await documentOf(t.app);
    const operations = [...successCalls.keys()].map((operationId) => operationNamed(doc, operationId));
    const requests = operations.map((operation) => {
      const options = injectOptions(operation, successCalls.get(operation.operationId)!, tokenOf(operation));
      return { method: String(options.method), url: String(options.url), headers: options.headers as Record<string, string> };
    });
    const answers = await duringDrain(t.services, requests);
    operations.forEach((operation, index) => {
      checkAnswer(doc, operation, answers[index]!, 503, 'while draining');
      expect((answers[index]!.body as { code: string }).code).toBe('SHUTTING_DOWN');
      expect(answers[index]!.headers.connection).toBe('close');
    });
  });

  it('has driven every documented operation and status (a new route or status without a case fails here)', async ({ t }) => {
    const doc = await documentOf(t.app);
    const documented = operationsOf(doc).flatMap((operation) => Object.keys(operation.object.responses).map((status) => `${operation.operationId} ${status}`));
    const untested = operationsOf(doc).map((operation) => operation.operationId).filter((operationId) => cases[operationId] === undefined);
    expect(untested, 'operations without cases').toEqual([]);
    expect(documented.filter((key) => !driven.has(key) && !(key in notDriven)), 'documented statuses no case reached').toEqual([]);
    expect(Object.keys(notDriven).filter((key) => driven.has(key) || !documented.includes(key)), 'stale notDriven entries').toEqual([]);
    expect(driven.size).toBeGreaterThan(150);
  });
});

/** A run still going after limits.healthCheckWaitMs, or a failed one, without waiting or breaking a run. */
async function buildStubbedApp(t: TestApp, overrides: Partial<TestApp['services']>): Promise<FastifyInstance> {
  const app = await buildApp({ ...t.services, ...overrides });
  await app.ready();
  return app;
}
