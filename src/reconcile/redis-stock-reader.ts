/**
 * Reads many Redis keys at once, replies in key order. On one Redis node: MGETs of at most
 * `reconcileMgetKeysMax` keys, all sent in one write by auto-pipelining. On a Redis Cluster an
 * MGET must stay within one hash slot, and `seckill:stock:<id>` keys carry no hash tag (the front
 * end owns the name), so every key is its own slot: there they go as GETs, which ioredis still
 * pipelines per node. Grouping keys by slot is this file's business only.
 */
import { Cluster } from 'ioredis';
import * as limits from '../limits.js';
import type { RedisClient } from '../store/redis/redis-client.js';

export async function readKeys(redis: RedisClient, keys: readonly string[]): Promise<(string | null)[]> {
  if (redis instanceof Cluster) return Promise.all(keys.map((key) => redis.get(key)));
  const groups: Promise<(string | null)[]>[] = [];
  for (let start = 0; start < keys.length; start += limits.reconcileMgetKeysMax) {
    groups.push(redis.mget(keys.slice(start, start + limits.reconcileMgetKeysMax) as string[]));
  }
  const replies = await Promise.all(groups);
  return replies.length === 1 ? replies[0]! : replies.flat();
}
