/**
 * Writes of PostgreSQL's truth into Redis after each commit. In `cache` mode this service is the
 * only writer: it sets the available stock, guarded by the row version, so a late write of an old
 * version never replaces a newer value. In `seckill` mode the flash-sale front end deducts in Redis
 * itself, so only stock this service adds (restocks, operator changes) is added there.
 */
import type { RedisMode } from '../../config/config-types.js';
import type { RedisClient } from './redis-client.js';
import type { StockKeys } from './stock-keys.js';

/** KEYS: stock, version. ARGV: available, version. Equal versions carry equal values: rewriting is safe. */
const setIfNotOlderLua = `
local current = redis.call('GET', KEYS[2])
if current and tonumber(current) > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
return 1`;

interface StockCacheCommands {
  setStockIfNotOlder(stockKey: string, versionKey: string, available: number, version: number): Promise<number>;
}

export interface StockCacheWriter {
  readonly mode: RedisMode;
  /** After a commit that left the product at `version` with `available`; `seckillIncrement` is what this commit adds in seckill mode (restocks, operator changes). */
  afterCommit(productId: number, available: number, version: number, seckillIncrement: number): Promise<void>;
  /** Unconditional write of the DB value (warm-up on create, fixes), still never over a newer version. */
  writeAvailable(productId: number, available: number, version: number): Promise<void>;
}

export function createStockCacheWriter(client: RedisClient, keys: StockKeys, mode: RedisMode): StockCacheWriter {
  client.defineCommand('setStockIfNotOlder', { numberOfKeys: 2, lua: setIfNotOlderLua });
  const commands = client as unknown as StockCacheCommands;
  const writeAvailable = async (productId: number, available: number, version: number) => {
    await commands.setStockIfNotOlder(keys.stock(productId), keys.version(productId), available, version);
  };
  return {
    mode,
    writeAvailable,
    afterCommit: async (productId, available, version, seckillIncrement) => {
      switch (mode) {
        case 'cache': return writeAvailable(productId, available, version);
        case 'seckill':
          if (seckillIncrement !== 0) await client.incrby(keys.stock(productId), seckillIncrement);
          return;
      }
    },
  };
}
