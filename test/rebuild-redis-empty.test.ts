/**
 * Proves the service rebuilds Redis by itself when it comes back empty: with the health checker
 * on, a private redis-server restarted empty (every key gone) and then a flush of the service's
 * own prefix (marker included) are each noticed through the missing fill marker, logged, counted
 * in inventory_redis_empty_detected_total and followed by one rebuild (trigger redis_empty) that
 * brings every key back to the database's values; a Redis whose marker is present is left alone.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { redisFillCheckMs } from '../src/limits.js';
import { privateRedisAppTest } from './helpers/app-test.js';
import { seedProducts } from './helpers/reconcile-fixtures.js';
import { dropRedisKeys, sql } from './helpers/test-env.js';
import { pollUntil } from './helpers/wait.js';
import { isRedisReady } from '../src/store/redis/redis-client.js';
import type { Services } from '../src/services.js';

const it = privateRedisAppTest({ inventory: { health_check: { enable: true, interval: '3600s' } } });

async function wrongKeys(services: Services): Promise<number> {
  const rows = await sql<{ product_id: number; available: number; version: number }>(services,
    `SELECT product_id, available, version FROM inventories WHERE status = 'active' ORDER BY product_id`);
  const stocks = await services.redis.mget(rows.map((row) => services.keys.stock(row.product_id)));
  const versions = await services.redis.mget(rows.map((row) => services.keys.version(row.product_id)));
  return rows.filter((row, index) => stocks[index] !== String(row.available) || versions[index] !== String(row.version)).length;
}

/** This database's rebuilds, oldest first; `completed`: only those that completed. */
const rebuildRuns = (services: Services) => sql<{ trigger: string; status: string; keys_written: number }>(services,
  `SELECT trigger, status, keys_written FROM reconcile_runs WHERE kind = 'rebuild' ORDER BY started_at`);
const completed = async (services: Services) => (await rebuildRuns(services)).filter((run) => run.status === 'completed');

async function detections(services: Services): Promise<number> {
  return (await services.metrics.registry.getSingleMetric('inventory_redis_empty_detected_total')!.get()).values[0]!.value;
}

// On a loaded machine a Redis command may time out and a rebuild fail; the watcher then tries
// again (after limits.rebuildRetryDelayMs), so the checks below count completed rebuilds, and every
// detection must have started exactly one rebuild.
it('rebuilds by itself after Redis restarts empty, and after its prefix is flushed', async ({ t, redis }) => {
  // At start the private Redis has no marker: the service fills it (no products yet).
  const first = await pollUntil(() => completed(t.services), (runs) => runs.length === 1, { timeoutMs: 20_000 });
  expect(first).toEqual([{ trigger: 'redis_empty', status: 'completed', keys_written: 0 }]);
  await seedProducts(t.services, 2000, { stockOf: (index) => 100 + index });
  await sql(t.services, 'UPDATE inventories SET version = 1 + product_id % 4');
  // Wrong versions now, but the marker is there: a check (or two) passes and rebuilds nothing. A
  // negative cannot be polled for, so this waits for the checks to have happened.
  const before = (await rebuildRuns(t.services)).length;
  await sleep(redisFillCheckMs * 1.5);
  expect(await wrongKeys(t.services)).toBe(1500);
  expect(await rebuildRuns(t.services)).toHaveLength(before);

  await redis.stop();
  await redis.resume();
  expect(await pollUntil(() => isRedisReady(t.services.redis), (ready) => ready, { timeoutMs: 6000 })).toBe(true);
  const second = await pollUntil(() => completed(t.services), (runs) => runs.length === 2, { timeoutMs: 20_000 });
  expect(second[1]).toEqual({ trigger: 'redis_empty', status: 'completed', keys_written: 2000 });
  expect(await wrongKeys(t.services)).toBe(0);

  await dropRedisKeys(t.services); // the prefix's keys, marker included; nothing else in this Redis
  const third = await pollUntil(() => completed(t.services), (runs) => runs.length === 3, { timeoutMs: 20_000 });
  expect(third[2]).toEqual({ trigger: 'redis_empty', status: 'completed', keys_written: 2000 });
  expect(await wrongKeys(t.services)).toBe(0);
  const all = await rebuildRuns(t.services);
  expect(all.every((run) => run.trigger === 'redis_empty')).toBe(true);
  expect(await detections(t.services)).toBe(all.length);
  expect(await t.services.redis.get(t.services.keys.filledMarker)).not.toBeNull();
});
