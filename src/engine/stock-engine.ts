/**
 * The engine the HTTP layer talks to: N shard actors behind a stable product hash.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import * as limits from '../limits.js';
import type { Metrics } from '../metrics/metrics.js';
import type { StockCacheWriter } from '../store/redis/stock-cache.js';
import { shardOf } from './shard-router.js';
import { StockActor } from './stock-actor.js';
import type { ChangeResult } from '../domain/change-result.js';
import type { StockOp } from '../domain/stock-ops.js';
import { noStockEvents, type StockEventSettings } from '../domain/events.js';

export interface StockEngine {
  submit(op: StockOp): Promise<ChangeResult>;
  /** Operations held per shard (waiting or flushing). */
  queueDepths(): number[];
  /** Refuse new operations and wait until every accepted one is answered. */
  drain(): Promise<void>;
}

export interface BatchedEngineOptions {
  shards: number;
  flushOpsMax: number;
  queueDepthMax: number;
  redisWriteWaitMs: number;
  /** Products each actor keeps in memory; `limits.shardCachedProductsMax` unless a test asks for fewer. */
  cachedProductsMax?: number;
  /** `limits.outcomeResolveMs` unless a test asks for less. */
  outcomeResolveMs?: number;
  pool: pg.Pool;
  cacheWriter: StockCacheWriter | null;
  /** Which stock crossings a flush writes to the webhook outbox; none when left out. */
  stockEvents?: StockEventSettings;
  metrics: Metrics;
  log: Logger;
}

export function createBatchedEngine(options: BatchedEngineOptions): StockEngine {
  const actors = Array.from({ length: options.shards }, (_, shardIndex) => new StockActor({
    shardIndex,
    pool: options.pool,
    cacheWriter: options.cacheWriter,
    redisWriteWaitMs: options.redisWriteWaitMs,
    flushOpsMax: options.flushOpsMax,
    queueDepthMax: options.queueDepthMax,
    cachedProductsMax: options.cachedProductsMax ?? limits.shardCachedProductsMax,
    outcomeResolveMs: options.outcomeResolveMs ?? limits.outcomeResolveMs,
    stockEvents: options.stockEvents ?? noStockEvents,
    metrics: options.metrics,
    log: options.log,
  }));
  return {
    submit: (op) => actors[shardOf(op.productId, actors.length)]!.submit(op),
    queueDepths: () => actors.map((actor) => actor.depth),
    drain: async () => {
      await Promise.all(actors.map((actor) => actor.drain()));
    },
  };
}
