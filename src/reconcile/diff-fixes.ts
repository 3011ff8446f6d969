/**
 * Fixing a recorded diff. The diff is taken first (pending → fixed/ignored in one conditional
 * UPDATE, which also requires it to still hold the finding that was checked), so two fixes of one
 * diff apply once; if the fix then certainly did not apply, the diff is reopened.
 *
 * - `use_db` (see `diff-fix-redis.ts`), under the product's row lock: `cache` mode writes the row's
 *   available and version to Redis; `seckill` mode moves Redis by the recorded error, refused
 *   (DIFF_STALE) unless the row is still at the version the diff was seen at (in-flight orders may
 *   have reached the DB since, and the error with them) and Redis still holds the value the diff
 *   saw. When Redis does not confirm the command in time the diff stays closed (503
 *   FIX_OUTCOME_UNKNOWN): reopening it could apply the correction twice; the next run records
 *   whatever remains.
 * - `use_redis`: the DB moves to the Redis value through the product's actor, as a `fix` log row,
 *   guarded by the version the diff was seen at (`expectedVersion`): if anything committed since,
 *   the fix is refused (DIFF_STALE) rather than applied to a stock it was not computed from. In
 *   cache mode Redis must also still hold the recorded value.
 * - `ignore`: closes the diff, whatever its size.
 * A diff fixed closes the product's open diff_alert as `closed`; ignored, as `ignored`.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { assert, assertNever } from '../assert.js';
import type { Config } from '../config/config-types.js';
import type { StockEngine } from '../engine/stock-engine.js';
import { AppError, errors } from '../errors.js';
import type { ReconcileMetrics } from '../metrics/reconcile-metrics.js';
import { closeProductAlert } from '../store/postgres/alert-queries.js';
import { eventRoutesOf } from '../domain/events.js';
import {
  closeDiff, reopenDiff, selectDiff, withProductRowLock, type DiffRow, type FixType,
} from '../store/postgres/diff-queries.js';
import { isRedisReady, type RedisClient } from '../store/redis/redis-client.js';
import type { StockKeys } from '../store/redis/stock-keys.js';
import { moveRedisStock, RedisOutcomeUnknown, writeRowToRedis } from './diff-fix-redis.js';
import { parseRedisStock } from './reconcile-compare.js';

export interface FixDeps {
  config: Config;
  readPool: pg.Pool;
  engine: StockEngine;
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
  // Lines about a fix an HTTP request asked for carry its trace id (auto_fix has none).
  const log = request.traceId === null ? deps.log : deps.log.child({ trace_id: request.traceId });
  const diff = await selectDiff(deps.readPool, diffId);
  if (diff === null) throw errors.diffNotFound(diffId);
  if (diff.status !== 'pending') throw errors.diffNotPending(diffId, diff.status);
  if (fixType !== 'ignore') refuseUnfixable(deps.config, diff, fixType);
  // Refused before the diff is taken: a command that is never sent needs no reopening.
  if (fixType === 'use_db' && !isRedisReady(deps.redis)) throw errors.redisUnavailable();
  const closed = await closeDiff(deps.readPool, diff, fixType === 'ignore' ? 'ignored' : 'fixed', fixType, request.operator);
  if (closed === null) throw await whyNotTaken(deps.readPool, diff);
  try {
    switch (fixType) {
      case 'ignore': break;
      case 'use_db': await useDb(deps, closed); break;
      case 'use_redis': await useRedis(deps, closed, request); break;
      default: assertNever(fixType);
    }
  } catch (error) {
    throw await afterFailedFix({ ...deps, log }, closed, fixType, error);
  }
  await closeProductAlert(deps.readPool, closed.product_id, 'diff_alert', fixType === 'ignore' ? 'ignored' : 'closed', eventRoutesOf(deps.config.notifications.webhooks))
    .catch((error: unknown) => log.warn({ err: error, diff_id: diffId }, 'could not close the diff alert of a fixed diff'));
  deps.metrics.diffsFixed.inc({ fix_type: fixType });
  log.info({ diff_id: diffId, product_id: diff.product_id, fix_type: fixType, operator: request.operator }, 'diff fixed');
  return closed;
}

function refuseUnfixable(config: Config, diff: DiffRow, fixType: Exclude<FixType, 'ignore'>): void {
  const compensation = config.inventory.compensation;
  if (!compensation.enable) throw errors.compensationDisabled();
  if (!isKeyRestore(diff, fixType) && Math.abs(diff.diff) > compensation.max_fix_amount) {
    throw errors.fixAmountExceeded(diff.id, diff.diff, compensation.max_fix_amount);
  }
  if (fixType === 'use_redis' && diff.redis_stock === null) {
    throw errors.fixNotApplicable(diff.id, 'the Redis key was missing, so there is no Redis value to take; use use_db');
  }
}

/**
 * `use_db` on a missing key puts the database's own value back (in seckill mode too: the script
 * acts only while the key is still missing, and the row must still be at the diff's version), which
 * is how a cache is refilled, not a correction of a counter: `max_fix_amount` does not bound it.
 * The bound guards corrections that move a counter by a measured error (use_redis moves the
 * database's stock, seckill INCRBY moves the front end's counter), where a large amount is a sign
 * that the measurement is wrong. After a Redis restart every key is missing, and the bound would
 * otherwise refuse every product with more than `max_fix_amount` available.
 */
export function isKeyRestore(diff: Pick<DiffRow, 'redis_stock'>, fixType: FixType): boolean {
  return fixType === 'use_db' && diff.redis_stock === null;
}

/** The diff was not taken: another fix took it, or a run refreshed it after it was read. */
async function whyNotTaken(pool: pg.Pool, seen: DiffRow): Promise<AppError> {
  const now = await selectDiff(pool, seen.id);
  if (now === null || now.status !== 'pending') return errors.diffNotPending(seen.id, 'no longer pending (another fix took it)');
  return errors.diffStale(seen.id, `a newer run found diff ${now.diff} (Redis ${now.redis_stock ?? 'missing'}) meanwhile; read it again`);
}

/** What to answer after a failed fix; reopens the diff unless the fix may have applied. */
async function afterFailedFix(deps: FixDeps, diff: DiffRow, fixType: FixType, error: unknown): Promise<unknown> {
  if (error instanceof RedisOutcomeUnknown) {
    deps.log.warn({ err: error.cause, diff_id: diff.id, product_id: diff.product_id, fix_type: fixType },
      'Redis did not confirm a fix: the diff stays closed, and the next run records whatever remains');
    return errors.fixOutcomeUnknown(diff.id);
  }
  const status = await reopenDiff(deps.readPool, diff.id, fixType);
  if (status === 'ignored') deps.log.info({ diff_id: diff.id, product_id: diff.product_id }, 'a failed fix left its diff superseded by a newer one');
  return error;
}

async function useDb(deps: FixDeps, diff: DiffRow): Promise<void> {
  const { product_id: productId } = diff;
  await withProductRowLock(deps.readPool, productId, async (row) => {
    if (row === null) throw errors.diffStale(diff.id, `product ${productId} no longer exists`);
    switch (deps.config.redis.mode) {
      case 'cache':
        return writeRowToRedis(deps.redis, deps.keys, productId, row.available, row.version);
      case 'seckill': {
        if (row.version !== diff.db_version) {
          throw errors.diffStale(diff.id, `product ${productId} is at version ${row.version}, not ${diff.db_version ?? 'unknown'} ` +
            'as when the diff was recorded (orders in flight may have reached the database since)');
        }
        const moved = await moveRedisStock(deps.redis, deps.keys, productId, diff.redis_stock, -diff.diff);
        if (!moved.applied) {
          throw errors.diffStale(diff.id, `Redis holds ${moved.found ?? 'nothing'} for product ${productId}, ` +
            `not ${diff.redis_stock ?? 'nothing'} as when the diff was recorded`);
        }
        return;
      }
      default:
        return assertNever(deps.config.redis.mode);
    }
  });
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
