/**
 * Fuzzes every write route with fast-check (12,000 generated requests: wrong types, huge and odd
 * numbers, unicode, deep nesting, missing and extra fields, odd path ids, non-JSON text, and some
 * valid bodies):
 * never a 5xx, a refused request never changes the database, an accepted sync changes stock by
 * exactly its delta. Set TEST_SEED to replay a failure; the seed is printed on failure.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { appTest } from './helpers/app-test.js';
import { createProduct, sql, type TestApp } from './helpers/test-env.js';
import { seedFromEnv } from './helpers/seeded-random.js';

// The sweeper would expire fuzzed reservations at random moments, between a checksum and the next.
const it = appTest({ engine: { shards: 2 }, reservations: { sweep_interval_ms: 3_600_000 } });
const products = [1, 2, 3];
it.beforeAll(async ({ t }) => {
  for (const productId of products) await createProduct(t.app, { product_id: productId, stock: 1_000_000 });
});

/** Everything a refused request must leave as it was, in one cheap query (the tables stay small). */
async function checksum(t: TestApp) {
  const [row] = await sql(t.services, `SELECT
      (SELECT md5(coalesce(string_agg(i::text, ',' ORDER BY product_id), '')) FROM inventories i) AS inventories,
      (SELECT md5(coalesce(string_agg(r::text, ',' ORDER BY id), '')) FROM inventory_reservations r) AS reservations,
      (SELECT coalesce(sum(stock), 0) FROM inventories)::float8 AS stock,
      (SELECT count(*) FROM inventory_logs)::int AS logs,
      (SELECT count(*) FROM inventory_idempotency)::int AS keys,
      (SELECT md5(coalesce(string_agg(o::text, ',' ORDER BY order_id), '')) FROM order_holds o) AS orders`);
  return row!;
}

const oddNumber = fc.constantFrom(0, -0, 1.5, -1, 2 ** 53, -(2 ** 53), 2 ** 63, 1e308, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1e-7);
const oddString = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constantFrom('', ' ', '\u0000', 'x'.repeat(600), '１２３', '1e3', 'null'));
const deepNesting = fc.integer({ min: 1, max: 200 }).map((depth) => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i += 1) value = i % 2 === 0 ? [value] : { a: value };
  return value;
});
const anyField = fc.oneof(fc.integer(), oddNumber, oddString, fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 3 }), deepNesting);
const field = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: anyField });
const extraFields = fc.dictionary(fc.string({ maxLength: 8 }), anyField, { maxKeys: 2 });

const syncBody = fc.tuple(fc.record({
  product_id: field(fc.constantFrom(...products, 404)),
  delta: field(fc.integer({ min: -50, max: 50 })),
  order_id: field(fc.string({ minLength: 1, maxLength: 20 })),
  idempotency_key: field(fc.string({ minLength: 1, maxLength: 20 })),
  expected_version: field(fc.integer({ min: 1, max: 5 })),
  reason: field(fc.string({ maxLength: 30 })),
  trace_id: field(fc.stringMatching(/^[a-z0-9-]{1,20}$/)),
}, { requiredKeys: [] }), fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: extraFields }))
  .map(([body, extra]) => ({ ...extra, ...body }));

const createBody = fc.tuple(fc.record({
  product_id: field(fc.integer({ min: 10, max: 10_000 })),
  product_name: field(fc.string({ maxLength: 30 })),
  stock: field(fc.integer({ min: 0, max: 1000 })),
  status: field(fc.constantFrom('active', 'inactive', 'locked')),
  min_stock: field(fc.integer({ min: 0, max: 10 })),
  max_stock: field(fc.integer({ min: 0, max: 2000 })),
}, { requiredKeys: [] }), fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: extraFields }))
  .map(([body, extra]) => ({ ...extra, ...body }));

/** Stands for the product's version at send time, so compare-and-set updates can also succeed. */
const currentVersion = '__current_version__';
const updateBody = fc.tuple(fc.record({
  version: fc.oneof(fc.constant(currentVersion), field(fc.integer({ min: 1, max: 30 }))),
  product_name: field(fc.string({ maxLength: 30 })),
  status: field(fc.constantFrom('active', 'active', 'active', 'inactive', 'locked')),
  min_stock: field(fc.integer({ min: 0, max: 10 })),
  max_stock: field(fc.constantFrom(0, 0, 5_000_000)),
  stock: field(fc.integer({ min: 0, max: 2_000_000 })),
  reason: field(fc.string({ maxLength: 30 })),
}, { requiredKeys: [] }), fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: extraFields }))
  .map(([body, extra]) => ({ ...extra, ...body }));

const reserveBody = fc.tuple(fc.record({
  product_id: field(fc.constantFrom(...products, 404)),
  quantity: field(fc.integer({ min: -2, max: 20 })),
  order_id: field(fc.string({ minLength: 1, maxLength: 12 })),
  ttl_seconds: field(fc.integer({ min: 0, max: 100_000 })),
  reason: field(fc.string({ maxLength: 30 })),
}, { requiredKeys: [] }), fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: extraFields }))
  .map(([body, extra]) => ({ ...extra, ...body }));

const finishBody = fc.record({ reason: field(fc.string({ maxLength: 30 })), operator: field(fc.string({ maxLength: 10 })) }, { requiredKeys: [] });
const batchSyncBody = fc.record({ items: field(fc.array(syncBody, { maxLength: 6 })), trace_id: field(fc.stringMatching(/^[a-z0-9]{1,10}$/)) }, { requiredKeys: [] });
const batchGetBody = fc.record({ product_ids: field(fc.array(field(fc.constantFrom(...products, 404)), { maxLength: 6 })) }, { requiredKeys: [] });

const holdBody = fc.tuple(fc.record({
  items: field(fc.array(fc.record({
    product_id: field(fc.constantFrom(...products, 404)), quantity: field(fc.integer({ min: -2, max: 20 })),
  }, { requiredKeys: [] }), { maxLength: 4 })),
  ttl_seconds: field(fc.integer({ min: 0, max: 100_000 })),
  reason: field(fc.string({ maxLength: 30 })),
  trace_id: field(fc.stringMatching(/^[a-z0-9-]{1,20}$/)),
}, { requiredKeys: [] }), fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: extraFields }))
  .map(([body, extra]) => ({ ...extra, ...body }));
/** An order id: usually one of a few (so retries, conflicts, confirms and releases meet held orders), sometimes anything. */
const orderIdSegment = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('o1', 'o2', 'o3', 'o4', 'o5', 'o6') },
  { weight: 1, arbitrary: fc.constantFrom('%00', '%2F', 'a%20b', '%E2%82%AC', '%ZZ', 'x'.repeat(129), 'x'.repeat(400)) },
);

const fixBody = fc.record({ fix_type: field(fc.constantFrom('use_db', 'use_redis', 'ignore')), operator: field(fc.string({ maxLength: 10 })) }, { requiredKeys: [] });
const ackBody = fc.record({ status: field(fc.constantFrom('sent', 'ignored', 'pending')) }, { requiredKeys: [] });

/** A path id: usually one that may exist, sometimes anything that fits in a URL segment. */
const pathId = (valid: fc.Arbitrary<number>) => fc.oneof(
  { weight: 5, arbitrary: valid.map(String) },
  { weight: 1, arbitrary: fc.constantFrom('0', '-1', '1.5', 'abc', '9007199254740993', '%00', '1e3', '') },
);

/** A body: usually JSON from the route's generator, sometimes any JSON value or raw non-JSON text. */
const payloadOf = (structured: fc.Arbitrary<object>) => fc.oneof(
  { weight: 8, arbitrary: structured.map((body) => JSON.stringify(body)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value) ?? 'null') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
);

async function withCurrentVersion(t: TestApp, url: string, payload: string): Promise<string> {
  if (!payload.includes(currentVersion)) return payload;
  const productId = Number(url.split('/').pop());
  const rows = Number.isSafeInteger(productId) ? await sql(t.services, 'SELECT version FROM inventories WHERE product_id = $1', [productId]) : [];
  return payload.replaceAll(`"${currentVersion}"`, String(rows[0]?.version ?? 1));
}

interface WriteRoute {
  name: string; method: 'POST' | 'PUT'; url: fc.Arbitrary<string>; payload: fc.Arbitrary<string>; runs: number;
  /** Accepted requests the run must reach, so the accepting paths are fuzzed too, not only validation. */
  acceptedMin: number;
}
const reservationId = fc.integer({ min: 1, max: 40 });
const routes: WriteRoute[] = [
  { name: 'sync', method: 'POST', url: fc.constant('/api/v1/sync-stock'), payload: payloadOf(syncBody), runs: 3000, acceptedMin: 30 },
  { name: 'create', method: 'POST', url: fc.constant('/api/v1/inventory'), payload: payloadOf(createBody), runs: 1500, acceptedMin: 15 },
  { name: 'update', method: 'PUT', url: pathId(fc.constantFrom(...products, 404)).map((id) => `/api/v1/inventory/${id}`), payload: payloadOf(updateBody), runs: 1500, acceptedMin: 15 },
  { name: 'reserve', method: 'POST', url: fc.constant('/api/v1/reservations'), payload: payloadOf(reserveBody), runs: 1500, acceptedMin: 15 },
  { name: 'confirm/release', method: 'POST', url: fc.tuple(pathId(reservationId), fc.constantFrom('confirm', 'release')).map(([id, verb]) => `/api/v1/reservations/${id}/${verb}`), payload: payloadOf(finishBody), runs: 1000, acceptedMin: 5 },
  { name: 'order hold', method: 'POST', url: orderIdSegment.map((id) => `/api/v1/orders/${id}/holds`), payload: payloadOf(holdBody), runs: 1000, acceptedMin: 5 },
  { name: 'order confirm/release', method: 'POST', url: fc.tuple(orderIdSegment, fc.constantFrom('confirm', 'release')).map(([id, verb]) => `/api/v1/orders/${id}/${verb}`), payload: payloadOf(finishBody), runs: 500, acceptedMin: 2 },
  { name: 'sync batch', method: 'POST', url: fc.constant('/api/v1/sync-stock/batch'), payload: payloadOf(batchSyncBody), runs: 1000, acceptedMin: 10 },
  { name: 'batch get', method: 'POST', url: fc.constant('/api/v1/inventory/batch'), payload: payloadOf(batchGetBody), runs: 500, acceptedMin: 5 },
  // No diffs or alerts exist in this database: these two must refuse everything cleanly.
  { name: 'diff fix', method: 'POST', url: pathId(fc.integer({ min: 1, max: 5 })).map((id) => `/api/v1/health/fix/${id}`), payload: payloadOf(fixBody), runs: 250, acceptedMin: 0 },
  { name: 'alert ack', method: 'POST', url: pathId(fc.integer({ min: 1, max: 5 })).map((id) => `/api/v1/alerts/${id}/ack`), payload: payloadOf(ackBody), runs: 250, acceptedMin: 0 },
];

describe('fuzzed write routes', () => {
  it.for(routes)('$name: no 5xx, refusals change nothing', { timeout: 240_000 }, async (route, { t }) => {
    const seed = seedFromEnv();
    // Updates fuzzed before may have locked products or drained them: start each route from active,
    // stocked products. The version bump makes the actors' cached copies stale, as another writer would.
    await sql(t.services, `UPDATE inventories SET status = 'active', max_stock = 0, stock = greatest(stock, reserved + 1000000),
                             version = version + 1 WHERE product_id = ANY($1)`, [products]);
    let accepted = 0;
    await fc.assert(fc.asyncProperty(route.url, route.payload, async (url, generated) => {
      const payload = await withCurrentVersion(t, url, generated);
      const before = await checksum(t);
      const answer = await t.app.inject({ method: route.method, url, headers: { 'content-type': 'application/json' }, payload });
      expect(answer.statusCode, payload).toBeLessThan(500);
      const body = answer.json();
      expect(body.success, payload).toBe(answer.statusCode < 400);
      const after = await checksum(t);
      if (answer.statusCode >= 400) {
        expect(typeof body.code).toBe('string');
        expect(after, payload).toEqual(before);
        return;
      }
      accepted += 1;
      if (route.name === 'sync' && body.data.replayed === false) {
        expect(after.stock - before.stock, payload).toBe(body.data.delta);
        expect(after.logs - before.logs).toBe(1);
      }
    }), { numRuns: route.runs, seed });
    expect(accepted).toBeGreaterThanOrEqual(route.acceptedMin);
  });
});
