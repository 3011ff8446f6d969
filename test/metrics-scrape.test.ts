/**
 * Proves GET /metrics reports known traffic exactly: 35 concurrent deductions on 30 in stock scrape
 * as 30 `success` and 5 `insufficient_stock` (plus 3 replays and 2 not-found), the flush batch-size
 * histogram counts exactly the flushes and sums exactly the operations, HTTP durations are labelled
 * by route pattern and status (raw URLs never become labels), pool gauges show both pools, and the
 * endpoint stays open when a bearer token guards writes.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { describe, expect } from 'vitest';
import { appTest } from './helpers/app-test.js';
import { parsePrometheusText, samplesOf, sumOf, valueOf, type Sample } from './helpers/prometheus-text.js';
import { sql, type TestApp } from './helpers/test-env.js';

const token = 'metrics-test-token';
const it = appTest({ server: { auth_token: token } });
const auth = { authorization: `Bearer ${token}` };

const post = (app: FastifyInstance, url: string, payload: object) => app.inject({ method: 'POST', url, payload, headers: auth });

/** The known traffic, sent once before the tests, which check what it did and how it scrapes. */
const traffic = {
  unauthenticated: null as LightMyRequestResponse | null,
  concurrent: [] as LightMyRequestResponse[],
  replays: [] as LightMyRequestResponse[],
};
it.beforeAll(async ({ t }) => {
  traffic.unauthenticated = await t.app.inject({ method: 'POST', url: '/api/v1/sync-stock', payload: { product_id: 1, delta: 1 } });
  expect((await post(t.app, '/api/v1/inventory', { product_id: 1, stock: 30 })).statusCode).toBe(201);
  traffic.concurrent = await Promise.all(Array.from({ length: 35 }, (_, i) =>
    post(t.app, '/api/v1/sync-stock', { product_id: 1, delta: -1, order_id: `order-${i}` })));
  const succeeded = traffic.concurrent.map((answer, i) => ({ status: answer.statusCode, orderId: `order-${i}` })).filter((a) => a.status === 200);
  for (const { orderId } of succeeded.slice(0, 3)) traffic.replays.push(await post(t.app, '/api/v1/sync-stock', { product_id: 1, delta: -1, order_id: orderId }));
  for (let i = 0; i < 2; i += 1) expect((await post(t.app, '/api/v1/sync-stock', { product_id: 999, delta: -1 })).statusCode).toBe(404);
  expect((await post(t.app, '/api/v1/sync-stock', { product_id: 1, delta: 0 })).statusCode).toBe(400); // never reaches the engine
});

const scrape = async (t: TestApp): Promise<Sample[]> => {
  const response = await t.app.inject({ method: 'GET', url: '/metrics' });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheusText(response.body);
};
const httpCount = (samples: Sample[], method: string, route: string, statusCode: number) =>
  valueOf(samples, 'inventory_http_request_duration_seconds_count', { method, route, status_code: String(statusCode) });

describe('GET /metrics after known traffic', () => {
  it('is open without the token that writes need', async ({ t }) => {
    expect(traffic.unauthenticated!.statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });

  it('counts syncs by result, flushes and batch sizes exactly', async ({ t }) => {
    const answers = traffic.concurrent;
    expect(answers.filter((answer) => answer.statusCode === 200)).toHaveLength(30);
    expect(answers.filter((answer) => answer.json().code === 'INSUFFICIENT_STOCK')).toHaveLength(5);
    expect(traffic.replays.map((replay) => replay.json().data.replayed)).toEqual([true, true, true]);

    const samples = await scrape(t);
    // Every known result is listed (at 0 from the start: test/metrics-preset); these are the ones that happened.
    const results = Object.fromEntries(samplesOf(samples, 'inventory_sync_requests_total').filter((s) => s.value > 0).map((s) => [s.labels.result, s.value]));
    expect(results).toEqual({ success: 30, insufficient_stock: 5, replayed: 3, inventory_not_found: 2 });
    for (const [result, count] of Object.entries(results)) {
      expect(valueOf(samples, 'inventory_sync_duration_seconds_count', { result })).toBe(count);
      expect(valueOf(samples, 'inventory_sync_duration_seconds_bucket', { result, le: '+Inf' })).toBe(count);
    }

    // No other writer and no contention: every batch taken is one flush, committed.
    const flushes = sumOf(samples, 'inventory_flushes_total');
    expect(valueOf(samples, 'inventory_flushes_total', { outcome: 'committed' })).toBe(flushes);
    expect(sumOf(samples, 'inventory_flush_replans_total')).toBe(0);
    expect(valueOf(samples, 'inventory_flush_batch_size_count')).toBe(flushes);
    expect(valueOf(samples, 'inventory_flush_batch_size_bucket', { le: '+Inf' })).toBe(flushes);
    expect(valueOf(samples, 'inventory_flush_batch_size_sum')).toBe(35 + 3 + 2);
    expect(valueOf(samples, 'inventory_flush_duration_seconds_count')).toBe(flushes);
    // Each flush that applied a deduction left its token on its log rows: at most one per flush.
    const [applied] = await sql<{ flushes: number; rows: number }>(t.services,
      `SELECT count(DISTINCT flush_id)::int AS flushes, count(*)::int AS rows FROM inventory_logs WHERE op_type = 'deduct'`);
    expect(applied!.rows).toBe(30);
    expect(applied!.flushes).toBeGreaterThanOrEqual(1);
    expect(applied!.flushes).toBeLessThanOrEqual(flushes);
    console.log(`35 concurrent syncs + 5 sequential ops took ${flushes} flushes (${applied!.flushes} applied deductions)`);
  });

  it('times HTTP answers by method, route pattern and status code', async ({ t }) => {
    await scrape(t);
    await scrape(t);
    await t.app.inject({ method: 'GET', url: '/api/v1/inventory/1' });
    await t.app.inject({ method: 'GET', url: '/api/v1/inventory/424242' });
    await t.app.inject({ method: 'GET', url: '/no/such/route/7' });
    await t.app.inject({ method: 'GET', url: '/api/v1/nope?x=1' });
    const samples = await scrape(t);
    expect(httpCount(samples, 'POST', '/api/v1/sync-stock', 200)).toBe(33);
    expect(httpCount(samples, 'POST', '/api/v1/sync-stock', 409)).toBe(5);
    expect(httpCount(samples, 'POST', '/api/v1/sync-stock', 404)).toBe(2);
    expect(httpCount(samples, 'POST', '/api/v1/sync-stock', 400)).toBe(1);
    expect(httpCount(samples, 'POST', '/api/v1/sync-stock', 401)).toBe(1);
    expect(httpCount(samples, 'POST', '/api/v1/inventory', 201)).toBe(1);
    expect(httpCount(samples, 'GET', '/api/v1/inventory/:productId', 200)).toBe(1);
    expect(httpCount(samples, 'GET', '/api/v1/inventory/:productId', 404)).toBe(1);
    expect(httpCount(samples, 'GET', 'unmatched', 404)).toBe(2);
    expect(httpCount(samples, 'GET', '/metrics', 200)).toBeUndefined(); // Prometheus' scrapes are not the service's traffic
    const routes = new Set(samplesOf(samples, 'inventory_http_request_duration_seconds_count').map((s) => s.labels.route));
    for (const route of routes) expect(route).not.toMatch(/424242|\/no\/such|nope|\?/);
  });

  it('reports both PostgreSQL pools, every shard queue and the pending diffs', async ({ t }) => {
    const samples = await scrape(t);
    const shards = t.config.engine.shards;
    expect(valueOf(samples, 'inventory_pg_pool_max_connections', { pool: 'engine' })).toBe(shards);
    expect(valueOf(samples, 'inventory_pg_pool_max_connections', { pool: 'read' })).toBe(t.config.database.postgres.pool_max - shards);
    for (const pool of ['engine', 'read']) {
      const total = valueOf(samples, 'inventory_pg_pool_connections', { pool })!;
      const idle = valueOf(samples, 'inventory_pg_pool_idle_connections', { pool })!;
      expect(total).toBeGreaterThanOrEqual(1); // both pools served this traffic
      expect(idle).toBeLessThanOrEqual(total);
      expect(valueOf(samples, 'inventory_pg_pool_waiting_clients', { pool })).toBe(0);
    }
    const depths = samplesOf(samples, 'inventory_shard_queue_depth');
    expect(depths.map((s) => s.labels.shard).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: shards }, (_, i) => String(i)));
    expect(depths.every((s) => s.value === 0)).toBe(true);
    expect(valueOf(samples, 'inventory_diffs_pending')).toBe(0);
  });
});
