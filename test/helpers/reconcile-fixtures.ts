/**
 * Fixtures for reconciliation tests: many products loaded in one statement, their Redis keys
 * written the way the cache writer writes them (stock and version), and drift made on purpose.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../src/config/config-types.js';
import type { Services } from '../../src/services.js';
import { testConfig } from './test-env.js';

export interface SeedOptions {
  /** First product id; ids are consecutive. */
  firstId?: number;
  /** Stock of product i (0-based); reserved is 0, so available equals it. */
  stockOf?: (index: number) => number;
}

/** Inserts `count` active products (version 1) and writes their Redis keys in pipelined batches. */
export async function seedProducts(services: Services, count: number, options: SeedOptions = {}): Promise<number[]> {
  const firstId = options.firstId ?? 1;
  const stockOf = options.stockOf ?? (() => 500);
  const ids = Array.from({ length: count }, (_, index) => firstId + index);
  const stocks = ids.map((_, index) => stockOf(index));
  await services.readPool.query(
    `INSERT INTO inventories (product_id, product_name, stock)
     SELECT id, 'product ' || id, stock FROM unnest($1::bigint[], $2::bigint[]) AS x(id, stock)`,
    [ids, stocks]);
  const batchRows = 5000;
  for (let start = 0; start < count; start += batchRows) {
    const pipeline = services.redis.pipeline();
    for (let index = start; index < Math.min(count, start + batchRows); index += 1) {
      pipeline.set(services.keys.stock(ids[index]!), String(stocks[index]!));
      pipeline.set(services.keys.version(ids[index]!), '1');
    }
    await pipeline.exec();
  }
  return ids;
}

/** Makes Redis disagree: a value, or null to delete the key (the version key stays). */
export async function setRedisStock(services: Services, productId: number, value: number | null): Promise<void> {
  if (value === null) await services.redis.del(services.keys.stock(productId));
  else await services.redis.set(services.keys.stock(productId), String(value));
}

export async function redisStock(services: Services, productId: number): Promise<number | null> {
  const raw = await services.redis.get(services.keys.stock(productId));
  return raw === null ? null : Number(raw);
}

/** Deletes this test's stock and version keys, so a run leaves nothing behind in the shared Redis. */
export { dropRedisKeys } from './test-env.js';

export interface Report {
  run_id: string; status: string; scanned: number; candidates: number; settling: number; moved: number;
  diffs_found: number; alerts_raised: number;
  auto_fixed: number; duration_ms: number; started_at: string; finished_at: string | null;
  diffs: {
    id: number; product_id: number; db_stock: number; redis_stock: number | null; diff: number; db_version: number | null;
    status: string; fix_type: string | null;
  }[];
}

export async function checkNow(app: FastifyInstance): Promise<Report> {
  const response = await app.inject({ method: 'GET', url: '/api/v1/health/check' });
  if (response.statusCode !== 200) throw new Error(`check answered ${response.statusCode}: ${response.body}`);
  return response.json().data as Report;
}

export async function fix(app: FastifyInstance, diffId: number, body: Record<string, unknown>) {
  const response = await app.inject({ method: 'POST', url: `/api/v1/health/fix/${diffId}`, payload: body });
  return { status: response.statusCode, body: response.json() as { success: boolean; code?: string; message: string; data: Record<string, unknown> } };
}

/** The product's pending diffs (at most one, by the unique index). */
export async function pendingDiffs(services: Services, productId: number): Promise<{ id: number; diff: number; db_version: number }[]> {
  const result = await services.readPool.query<{ id: number; diff: number; db_version: number }>(
    `SELECT id, diff, db_version FROM inventory_diffs WHERE product_id = $1 AND status = 'pending' ORDER BY id`, [productId]);
  return result.rows;
}

export interface AlertState { product_id: number; alert_type: string; level: string; status: string }

/** Every alert of the product, oldest first. */
export async function alertsOf(services: Services, productId: number): Promise<AlertState[]> {
  const result = await services.readPool.query<AlertState>(
    'SELECT product_id, alert_type, level, status FROM inventory_alerts WHERE product_id = $1 ORDER BY id', [productId]);
  return result.rows;
}

/** Seckill mode with the thresholds the seckill tests reason about: tolerance 10, alert at 50, 100 in flight. */
export function seckillCheckerConfig(): Config {
  return testConfig({
    redis: { mode: 'seckill' },
    inventory: { health_check: { tolerance: 10, alert_threshold: 50, inflight_allowance: 100 } },
    logging: { level: 'error' },
  });
}
