/**
 * Proves the after-commit Redis writes of one flush (one script call for many products): every
 * product's value lands with its version; a write carrying an older version than Redis holds
 * leaves that product alone while the newer ones of the same call land; equal versions rewrite
 * safely; and seckill mode adds only the increments, to the right keys. Real Redis, a private prefix.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createStockCacheWriter } from '../../src/store/redis/stock-cache.js';
import { stockKeys } from '../../src/store/redis/stock-keys.js';
import { dropKeysWithPrefix, uniqueSuffix } from '../helpers/test-env.js';

const prefix = `test:${uniqueSuffix()}:`;
const keys = stockKeys(prefix);
let redis: Redis;
beforeAll(async () => {
  redis = new Redis({ host: '127.0.0.1', port: 6379, db: 0, lazyConnect: true });
  await redis.connect();
});
afterAll(async () => {
  await dropKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

const write = (productId: number, available: number, version: number, seckillIncrement = 0) =>
  ({ productId, available, version, seckillIncrement });

it('writes many products in one call and never replaces a newer version', async () => {
  const writer = createStockCacheWriter(redis, keys, 'cache');
  await writer.afterCommit([write(1, 10, 5), write(2, 20, 5), write(3, 30, 5)]);
  await writer.afterCommit([write(1, 9, 4), write(2, 21, 6), write(3, 30, 5)]); // 1 is older: kept at v5
  expect(await redis.mget(keys.stock(1), keys.stock(2), keys.stock(3))).toEqual(['10', '21', '30']);
  expect(await redis.mget(keys.version(1), keys.version(2), keys.version(3))).toEqual(['5', '6', '5']);
  await writer.writeAvailable(1, 8, 7);
  expect(await redis.get(keys.stock(1))).toBe('8');
});

it('adds only increments in seckill mode', async () => {
  await redis.set(keys.stock(11), '100');
  await redis.set(keys.stock(12), '50');
  const writer = createStockCacheWriter(redis, keys, 'seckill');
  await writer.afterCommit([write(11, 999, 9, 5), write(12, 999, 9, 0), write(13, 999, 9, 7)]);
  expect(await redis.mget(keys.stock(11), keys.stock(12), keys.stock(13))).toEqual(['105', '50', '7']);
  expect(await redis.get(keys.version(11))).toBeNull();
});
