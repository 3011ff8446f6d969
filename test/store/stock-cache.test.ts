/**
 * Proves the after-commit Redis writes of one flush (one script call for many products): every
 * product's value lands with its version; a write carrying an older version than Redis holds
 * leaves that product alone while the newer ones of the same call land; equal versions rewrite
 * safely, also in one call of 2,500 products; a rebuild writes
 * the same way in cache mode and only missing keys in seckill mode; and seckill mode's after-commit
 * writes add only the increments, to the right keys. Real Redis, a private prefix.
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

it('guards every product of a large call', async () => {
  const writer = createStockCacheWriter(redis, keys, 'cache');
  const ids = Array.from({ length: 2500 }, (_, index) => 1000 + index);
  // Every third product already holds a newer version than the call carries.
  for (const id of ids.filter((_, index) => index % 3 === 0)) await redis.mset(keys.stock(id), '7', keys.version(id), '9');
  const written = await writer.rebuild(ids.map((productId) => ({ productId, available: productId, version: 3 })));
  expect(written).toBe(2500 - 834);
  const stocks = await redis.mget(ids.map((id) => keys.stock(id)));
  const versions = await redis.mget(ids.map((id) => keys.version(id)));
  expect(stocks).toEqual(ids.map((id, index) => (index % 3 === 0 ? '7' : String(id))));
  expect(versions).toEqual(ids.map((_, index) => (index % 3 === 0 ? '9' : '3')));
});

it('rebuilds keys none of which exist (one MSETNX) and, when some exist, guards product by product', async () => {
  const writer = createStockCacheWriter(redis, keys, 'cache');
  const rows = [31, 32, 33].map((productId) => ({ productId, available: productId * 10, version: 4 }));
  expect(await writer.rebuild(rows)).toBe(3);
  expect(await redis.mget(keys.stock(31), keys.version(31), keys.stock(33), keys.version(33))).toEqual(['310', '4', '330', '4']);
  await redis.set(keys.version(32), '5');
  expect(await writer.rebuild([...rows, { productId: 34, available: 340, version: 1 }].map((row) => ({ ...row, available: row.available + 1 }))))
    .toBe(3);
  expect(await redis.mget(keys.stock(31), keys.stock(32), keys.stock(33), keys.stock(34))).toEqual(['311', '320', '331', '341']);
});

it('rebuilds only missing keys in seckill mode', async () => {
  await redis.set(keys.stock(21), '40');
  const writer = createStockCacheWriter(redis, keys, 'seckill');
  expect(await writer.rebuild([{ productId: 21, available: 100, version: 2 }, { productId: 22, available: 100, version: 2 }])).toBe(1);
  expect(await redis.mget(keys.stock(21), keys.stock(22), keys.version(22))).toEqual(['40', '100', '2']);
});
