/**
 * The Redis side of a `use_db` fix, run while the fix holds the product's row lock (so no commit
 * moves the product in between: the row it read stays the truth until Redis is written).
 *
 * - `cache` mode: the DB is the truth, so Redis takes the row's available and version together,
 *   unconditionally (one MSET; both keys share a hash slot). The post-commit writer's guard ("never
 *   over a newer version") is not wanted here: a version key ahead of the row (left by a restored
 *   or recreated database) would refuse every write, and the fix would change nothing. Later writes
 *   of older versions are still refused, since the version key now holds the row's.
 * - `seckill` mode: the front end deducts in Redis, so Redis is moved by the recorded error
 *   (INCRBY −diff) rather than overwritten, and only if it still holds the value the diff saw
 *   (compare and INCRBY in one script): a diff whose error was corrected since (by another fix, or
 *   a newer finding) must not be applied again.
 */
import { assert } from '../assert.js';
import { errors } from '../errors.js';
import type { RedisClient } from '../store/redis/redis-client.js';
import type { StockKeys } from '../store/redis/stock-keys.js';

/** KEYS: stock. ARGV: expected value ('' = no key), increment. Returns {1, new value} or {0, value found}. */
const incrbyIfStockIsLua = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '' then
  if current then return {0, current} end
elseif current ~= ARGV[1] then
  return {0, current or false}
end
return {1, redis.call('INCRBY', KEYS[1], ARGV[2])}`;

interface FixCommands {
  incrbyIfStockIs(stockKey: string, expected: string, increment: string): Promise<[0 | 1, string | number | null]>;
}

const prepared = new WeakSet<RedisClient>();

function commands(redis: RedisClient): FixCommands {
  if (!prepared.has(redis)) {
    redis.defineCommand('incrbyIfStockIs', { numberOfKeys: 1, lua: incrbyIfStockIsLua });
    prepared.add(redis);
  }
  return redis as unknown as FixCommands;
}

/** cache mode: Redis takes the row's available and version. */
export async function writeRowToRedis(redis: RedisClient, keys: StockKeys, productId: number, available: number, version: number): Promise<void> {
  const reply = await redisStep(redis.mset(keys.stock(productId), String(available), keys.version(productId), String(version)));
  assert(reply === 'OK', `MSET answered ${String(reply)}`);
}

export type MoveOutcome = { applied: true; value: number } | { applied: false; found: string | null };

/** seckill mode: adds `increment` to the stock key if it still holds `expected` (null: no key). */
export async function moveRedisStock(
  redis: RedisClient, keys: StockKeys, productId: number, expected: number | null, increment: number,
): Promise<MoveOutcome> {
  const [applied, value] = await redisStep(
    commands(redis).incrbyIfStockIs(keys.stock(productId), expected === null ? '' : String(expected), String(increment)));
  if (applied === 1) return { applied: true, value: Number(value) };
  return { applied: false, found: value === null ? null : String(value) };
}

/** A Redis command of a fix failed in a way that leaves open whether it ran. */
export class RedisOutcomeUnknown extends Error {
  constructor(cause: unknown) {
    super('a Redis command of a fix may or may not have run', { cause });
    this.name = 'RedisOutcomeUnknown';
  }
}

/**
 * A Redis command's failure, sorted: REDIS_UNAVAILABLE when it certainly did not run (it was never
 * sent, the client not being connected, or Redis refused it), else RedisOutcomeUnknown (a timeout,
 * a connection lost after sending: the command may have run).
 */
async function redisStep<T>(command: Promise<T>): Promise<T> {
  try {
    return await command;
  } catch (error) {
    const notRun = error instanceof Error && (error.name === 'ReplyError' || /isn't writeable|isn't ready/.test(error.message));
    if (notRun) throw Object.assign(errors.redisUnavailable(), { cause: error });
    throw new RedisOutcomeUnknown(error);
  }
}
