/**
 * Notices a Redis that lost the service's keys (restarted empty, flushed, or never filled) and
 * rebuilds it: the fill marker that every rebuild sets is gone with the keys. One EXISTS every
 * `limits.redisFillCheckMs` and on every reconnection; a missing marker is logged, counted
 * (`inventory_redis_empty_detected_total`) and starts a rebuild (trigger `redis_empty`), or joins
 * the one another instance is running. A rebuild this watcher started that fails, or one it found
 * another instance running, is looked at again after `limits.rebuildRetryDelayMs`, not at every check.
 */
import type { Logger } from 'pino';
import * as limits from '../limits.js';
import type { ReconcileMetrics } from '../metrics/reconcile-metrics.js';
import { isRedisReady, type RedisClient } from '../store/redis/redis-client.js';
import type { StockKeys } from '../store/redis/stock-keys.js';
import type { Rebuilder } from './rebuild-runner.js';

export interface RedisFillWatchDeps {
  redis: RedisClient;
  keys: StockKeys;
  log: Logger;
  metrics: ReconcileMetrics;
  rebuilder: Rebuilder;
}

export interface RedisFillWatch { stop(): void }

export function watchRedisFill(deps: RedisFillWatchDeps): RedisFillWatch {
  const { redis, keys, log, metrics, rebuilder } = deps;
  let checking = false;
  let stopped = false;
  let retryAtMs = 0;
  const check = async () => {
    if (stopped || checking || !isRedisReady(redis) || rebuilder.isRunning() || performance.now() < retryAtMs) return;
    checking = true;
    try {
      // A check that fails (Redis went away, or answered too slowly) is simply made again at the next tick.
      const present = await redis.exists(keys.filledMarker).catch(() => null);
      if (present !== 0) return;
      metrics.redisEmptyDetected.inc();
      log.warn({ marker: keys.filledMarker }, 'Redis has lost the fill marker (restarted empty or flushed): rebuilding it from PostgreSQL');
      const started = await rebuilder.start('redis_empty');
      if (started.joined) {
        // Another instance is rebuilding (and may have lost its marker to a flush meanwhile): look
        // again once it has had time to finish, rather than join it anew at every check.
        log.info({ run_id: started.runId }, 'another instance is rebuilding Redis; checking again later');
        retryAtMs = performance.now() + limits.rebuildRetryDelayMs;
        return;
      }
      // Waits for the rebuild it started (the checks meanwhile skip), so a failure delays the next one.
      const failed = await rebuilder.waitFailed(started.runId);
      if (failed) retryAtMs = performance.now() + limits.rebuildRetryDelayMs;
    } catch (error) {
      // The rebuild could not start (PostgreSQL unreachable, the service closing): not at every tick.
      log.warn({ err: error }, 'could not start a rebuild of Redis');
      retryAtMs = performance.now() + limits.rebuildRetryDelayMs;
    } finally {
      checking = false;
    }
  };
  const onReady = () => void check();
  redis.on('ready', onReady);
  const timer = setInterval(onReady, limits.redisFillCheckMs);
  timer.unref();
  void check();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
      redis.off('ready', onReady);
    },
  };
}
