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

/** KEYS: stock₁, stock₂, … ARGV: increment₁, increment₂, … */
const incrementLua = `
for i = 1, #KEYS do redis.call('INCRBY', KEYS[i], ARGV[i]) end
return #KEYS`;

interface StockCacheCommands {
  setStocksIfNotOlder(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number>;
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
}

export function createStockCacheWriter(client: RedisClient, keys: StockKeys, mode: RedisMode): StockCacheWriter {
  client.defineCommand('setStocksIfNotOlder', { lua: setIfNotOlderLua });
  client.defineCommand('incrementStocks', { lua: incrementLua });
  const commands = client as unknown as StockCacheCommands;
  const bySlot = client instanceof Cluster ? groupBySlot : oneGroup;

  const setAvailable = async (writes: readonly CacheWrite[]) => {
    await Promise.all(bySlot(writes, keys).map((group) => {
      const keysThenArgs: (string | number)[] = [];
      for (const write of group) keysThenArgs.push(keys.stock(write.productId), keys.version(write.productId));
      for (const write of group) keysThenArgs.push(write.available, write.version);
      return commands.setStocksIfNotOlder(group.length * 2, ...keysThenArgs);
    }));
  };
  const increment = async (writes: readonly CacheWrite[]) => {
    const adding = writes.filter((write) => write.seckillIncrement !== 0);
    await Promise.all(bySlot(adding, keys).map((group) => commands.incrementStocks(group.length,
      ...group.map((write) => keys.stock(write.productId)), ...group.map((write) => write.seckillIncrement))));
  };
  return {
    mode,
    writeAvailable: (productId, available, version) => setAvailable([{ productId, available, version, seckillIncrement: 0 }]),
    afterCommit: async (writes) => {
      switch (mode) {
        case 'cache': return setAvailable(writes);
        case 'seckill': return increment(writes);
      }
    },
  };
}

function oneGroup(writes: readonly CacheWrite[]): (readonly CacheWrite[])[] {
  return writes.length === 0 ? [] : [writes];
}

/** A product's stock key and version key share a slot (the version key tags the stock key's name). */
function groupBySlot(writes: readonly CacheWrite[], keys: StockKeys): CacheWrite[][] {
  const groups = new Map<number, CacheWrite[]>();
  for (const write of writes) {
    const slot = clusterKeySlot(keys.stock(write.productId));
    const group = groups.get(slot);
    if (group === undefined) groups.set(slot, [write]);
    else group.push(write);
  }
  return [...groups.values()];
}
