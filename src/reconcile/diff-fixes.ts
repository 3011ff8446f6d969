/**
 * Fixing a recorded diff. The diff is taken first (pending → fixed/ignored in one conditional
 * UPDATE), so two fixes of one diff apply once; if the fix itself then fails, the diff is reopened.
 *
 * - `use_db`, cache mode: Redis takes the current DB row's available, written by the version-guarded
 *   cache writer, so it can never replace a newer value. seckill mode: the front end keeps deducting
 *   in Redis, so Redis is moved by the recorded error (INCRBY −diff) instead of overwritten, which
 *   keeps the deductions made since.
 * - `use_redis`: the DB moves to the Redis value through the product's actor, as a `fix` log row,
 *   guarded by the version the diff was seen at (`expectedVersion`): if anything committed since,
 *   the fix is refused (DIFF_STALE) rather than applied to a stock it was not computed from. In
 *   cache mode Redis must also still hold the recorded value.
 * - `ignore`: closes the diff, whatever its size.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { assert, assertNever } from '../assert.js';
import type { Config } from '../config/config-types.js';
import type { StockEngine } from '../engine/stock-engine.js';
import { AppError, errors } from '../errors.js';
import type { ReconcileMetrics } from '../metrics/reconcile-metrics.js';
import { closeDiff, reopenDiff, selectDiff, type DiffRow, type FixType } from '../store/postgres/diff-queries.js';
import { selectInventory } from '../store/postgres/inventory-queries.js';
import type { RedisClient } from '../store/redis/redis-client.js';
import type { StockCacheWriter } from '../store/redis/stock-cache.js';
import type { StockKeys } from '../store/redis/stock-keys.js';
import { parseRedisStock } from './reconcile-compare.js';

export interface FixDeps {
  config: Config;
  readPool: pg.Pool;
  engine: StockEngine;
  cacheWriter: StockCacheWriter;
  redis: RedisClient;
  keys: StockKeys;
  metrics: ReconcileMetrics;
  log: Logger;
}

export interface FixRequest {
  diffId: number;
  fixType: FixType;
  operator: string;
  traceId: string | null;
}

export async function fixDiff(deps: FixDeps, request: FixRequest): Promise<DiffRow> {
  const { diffId, fixType } = request;
  const diff = await selectDiff(deps.readPool, diffId);
  if (diff === null) throw errors.diffNotFound(diffId);
  if (diff.status !== 'pending') throw errors.diffNotPending(diffId, diff.status);
  if (fixType !== 'ignore') refuseUnfixable(deps.config, diff, fixType);
  const closed = await closeDiff(deps.readPool, diffId, fixType === 'ignore' ? 'ignored' : 'fixed', fixType, request.operator);
  if (closed === null) throw errors.diffNotPending(diffId, 'no longer pending (another fix took it)');
  try {
    switch (fixType) {
      case 'ignore': break;
      case 'use_db': await useDb(deps, diff); break;
      case 'use_redis': await useRedis(deps, diff, request); break;
      default: assertNever(fixType);
    }
  } catch (error) {
    await reopenDiff(deps.readPool, diffId, fixType);
    throw error;
  }
  deps.metrics.diffsFixed.inc({ fix_type: fixType });
  deps.log.info({ diff_id: diffId, product_id: diff.product_id, fix_type: fixType, operator: request.operator }, 'diff fixed');
  return closed;
}

function refuseUnfixable(config: Config, diff: DiffRow, fixType: Exclude<FixType, 'ignore'>): void {
  const compensation = config.inventory.compensation;
  if (!compensation.enable) throw errors.compensationDisabled();
  if (Math.abs(diff.diff) > compensation.max_fix_amount) throw errors.fixAmountExceeded(diff.id, diff.diff, compensation.max_fix_amount);
  if (fixType === 'use_redis' && diff.redis_stock === null) {
    throw errors.fixNotApplicable(diff.id, 'the Redis key was missing, so there is no Redis value to take; use use_db');
  }
}

async function useDb(deps: FixDeps, diff: DiffRow): Promise<void> {
  try {
    switch (deps.config.redis.mode) {
      case 'cache': {
        const row = await selectInventory(deps.readPool, diff.product_id);
        if (row === null) throw errors.diffStale(diff.id, `product ${diff.product_id} no longer exists`);
        await deps.cacheWriter.writeAvailable(row.product_id, row.available, row.version);
        return;
      }
      case 'seckill':
        await deps.redis.incrby(deps.keys.stock(diff.product_id), -diff.diff);
        return;
    }
  } catch (error) {
    throw error instanceof AppError ? error : redisFailure(error);
  }
}

async function useRedis(deps: FixDeps, diff: DiffRow, request: FixRequest): Promise<void> {
  assert(diff.redis_stock !== null && diff.diff !== 0);
  if (deps.config.redis.mode === 'cache') {
    const now = parseRedisStock(await deps.redis.get(deps.keys.stock(diff.product_id)).catch(redisFailure));
    if (now !== diff.redis_stock) throw errors.diffStale(diff.id, `Redis now holds ${now ?? 'nothing'}, not ${diff.redis_stock}`);
  }
  try {
    await deps.engine.submit({
      kind: 'delta', productId: diff.product_id, delta: diff.diff, opType: 'fix',
      orderId: null, idempotencyKey: `diff-fix:${diff.id}`, expectedVersion: diff.db_version,
      reason: `reconciliation diff ${diff.id}: take the Redis value ${diff.redis_stock}`,
      operator: request.operator, traceId: request.traceId,
    });
  } catch (error) {
    if (error instanceof AppError && error.code === 'VERSION_CONFLICT') {
      throw errors.diffStale(diff.id, `product ${diff.product_id} changed since version ${diff.db_version}`);
    }
    throw error;
  }
}

function redisFailure(error: unknown): never {
  throw Object.assign(errors.redisUnavailable(), { cause: error });
}
