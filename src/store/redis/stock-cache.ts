/**
 * Writes of PostgreSQL's truth into Redis after each commit: one script call for a whole flush
 * (one per hash slot on a Redis Cluster, where a script may only touch keys of one slot).
 * - `cache` mode: this service is the only writer. Each product's available stock is set with
 *   its row version in the companion key, and a write never replaces a newer version's value.
 * - `seckill` mode: the flash-sale front end deducts in Redis itself, so only stock this service
 *   adds (restocks, operator changes) is added there, with INCRBY.
 */
import clusterKeySlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import type { RedisMode } from '../../config/config-types.js';
import type { RedisClient } from './redis-client.js';
import type { StockKeys } from './stock-keys.js';

/**
 * KEYS: stock₁, version₁, stock₂, version₂, … ARGV: available₁, version₁, … For each pair, the
 * value is written unless the version key already holds a newer version (equal versions carry
 * equal values, so rewriting them is safe). Returns how many pairs were written.
 */
const setIfNotOlderLua = `
local written = 0
for i = 1, #KEYS, 2 do
  local current = redis.call('GET', KEYS[i + 1])
  if not current or tonumber(current) <= tonumber(ARGV[i + 1]) then
    redis.call('SET', KEYS[i], ARGV[i])
    redis.call('SET', KEYS[i + 1], ARGV[i + 1])
    written = written + 1
  end
end
return written`;

/**
 * KEYS and ARGV as for `setIfNotOlderLua`. seckill mode's rebuild: a pair is written only where
 * the stock key is missing, since a key that exists is the front end's live counter (it may be
 * deducting from it right now). Returns how many pairs were written.
 */
const setIfMissingLua = `
local written = 0
for i = 1, #KEYS, 2 do
  if redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('SET', KEYS[i], ARGV[i])
    redis.call('SET', KEYS[i + 1], ARGV[i + 1])
    written = written + 1
  end
end
return written`;

/** KEYS: stock₁, stock₂, … ARGV: increment₁, increment₂, … */
const incrementLua = `
for i = 1, #KEYS do redis.call('INCRBY', KEYS[i], ARGV[i]) end
return #KEYS`;

interface StockCacheCommands {
  setStocksIfNotOlder(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number>;
  setStocksIfMissing(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number>;
  incrementStocks(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number>;
}

/** What one committed product leaves for Redis. */
export interface CacheWrite {
  productId: number;
  available: number;
  version: number;
  /** What the commit added in seckill mode (restocks, operator changes); 0 when nothing. */
  seckillIncrement: number;
}

export interface StockCacheWriter {
  readonly mode: RedisMode;
  /** After a commit: one call per hash slot for the whole flush. */
  afterCommit(writes: readonly CacheWrite[]): Promise<void>;
  /** Unconditional write of the DB value (warm-up on create, fixes), still never over a newer version. */
  writeAvailable(productId: number, available: number, version: number): Promise<void>;
  /**
   * A rebuild's write of rows read from PostgreSQL: `cache` mode as after a commit (never over a
   * newer version, so a sync committing meanwhile is never overwritten by this older reading);
   * `seckill` mode only where the stock key is missing. Returns how many products were written.
   */
  rebuild(rows: readonly StockRow[]): Promise<number>;
}

/** A product's available stock at one row version. */
export interface StockRow { productId: number; available: number; version: number }

export function createStockCacheWriter(client: RedisClient, keys: StockKeys, mode: RedisMode): StockCacheWriter {
  client.defineCommand('setStocksIfNotOlder', { lua: setIfNotOlderLua });
  client.defineCommand('setStocksIfMissing', { lua: setIfMissingLua });
  client.defineCommand('incrementStocks', { lua: incrementLua });
  const commands = client as unknown as StockCacheCommands;
  const cluster = client instanceof Cluster;
  const bySlot = <T extends { productId: number }>(writes: readonly T[]): (readonly T[])[] =>
    cluster ? groupBySlot(writes, keys) : oneGroup(writes);

  /** Stock and version pairs through one of the pair scripts; how many pairs it wrote. */
  const setPairs = async (script: 'setStocksIfNotOlder' | 'setStocksIfMissing', rows: readonly StockRow[]) => {
    const written = await Promise.all(bySlot(rows).map((group) => {
      const keysThenArgs: (string | number)[] = [];
      for (const row of group) keysThenArgs.push(keys.stock(row.productId), keys.version(row.productId));
      for (const row of group) keysThenArgs.push(row.available, row.version);
      return commands[script](group.length * 2, ...keysThenArgs);
    }));
    return written.reduce((sum, count) => sum + count, 0);
  };
  const setAvailable = async (rows: readonly StockRow[]) => { await setPairs('setStocksIfNotOlder', rows); };
  const increment = async (writes: readonly CacheWrite[]) => {
    const adding = writes.filter((write) => write.seckillIncrement !== 0);
    await Promise.all(bySlot(adding).map((group) => commands.incrementStocks(group.length,
      ...group.map((write) => keys.stock(write.productId)), ...group.map((write) => write.seckillIncrement))));
  };
  return {
    mode,
    writeAvailable: (productId, available, version) => setAvailable([{ productId, available, version }]),
    rebuild: async (rows) => {
      const script = mode === 'cache' ? 'setStocksIfNotOlder' : 'setStocksIfMissing';
      // A Redis that came back empty is what a rebuild is for. When none of the rows' keys exist,
      // one MSETNX writes them all, atomically, and either script would have written every pair
      // (no version key, no stock key): Redis spends about half the CPU it spends running the
      // script (measured in bench/README.md). If any key exists MSETNX writes nothing and the
      // script decides product by product. MSETNX cannot span the slots of a Redis Cluster.
      if (cluster || rows.length === 0) return setPairs(script, rows);
      const keysAndValues: (string | number)[] = [];
      for (const row of rows) keysAndValues.push(keys.stock(row.productId), row.available, keys.version(row.productId), row.version);
      if ((await client.msetnx(...keysAndValues)) === 1) return rows.length;
      return setPairs(script, rows);
    },
    afterCommit: async (writes) => {
      switch (mode) {
        case 'cache': return setAvailable(writes);
        case 'seckill': return increment(writes);
      }
    },
  };
}

function oneGroup<T>(writes: readonly T[]): (readonly T[])[] {
  return writes.length === 0 ? [] : [writes];
}

/** A product's stock key and version key share a slot (the version key tags the stock key's name). */
function groupBySlot<T extends { productId: number }>(writes: readonly T[], keys: StockKeys): T[][] {
  const groups = new Map<number, T[]>();
  for (const write of writes) {
    const slot = clusterKeySlot(keys.stock(write.productId));
    const group = groups.get(slot);
    if (group === undefined) groups.set(slot, [write]);
    else group.push(write);
  }
  return [...groups.values()];
}
