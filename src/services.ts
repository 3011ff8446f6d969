/**
 * The composition root: connects PostgreSQL and Redis, applies migrations and builds the engine.
 * `buildApp` puts HTTP in front of it; `server.ts` adds listening and shutdown. Tests build two of
 * these on one database to prove correctness does not depend on one process owning a product.
 */
import type pg from 'pg';
import { pino, type Logger } from 'pino';
import type { Config } from './config/config-types.js';
import { createNaiveEngine } from './engine/naive-engine.js';
import { createBatchedEngine, type StockEngine } from './engine/stock-engine.js';
import { eventRoutesOf, routesFor, stockEventTypes, type EventRoutes } from './domain/events.js';
import { Ledger } from './ledger/ledger.js';
import * as limits from './limits.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { registerPoolMetrics } from './metrics/pool-metrics.js';
import { createWebhookMetrics } from './metrics/webhook-metrics.js';
import { WebhookDispatcher } from './notifications/webhook-dispatcher.js';
import { countOutbox } from './store/postgres/outbox-queries.js';
import { createReconcileMetrics } from './metrics/reconcile-metrics.js';
import { Reconciler } from './reconcile/reconcile-runner.js';
import { countPendingDiffs } from './store/postgres/diff-queries.js';
import { ensureDatabase, migrate } from './store/postgres/migrate.js';
import { createPool } from './store/postgres/pool.js';
import { OrderHolds } from './orders/order-holds.js';
import { startReservationSweeper, type ReservationSweeper } from './reservations/reservation-sweeper.js';
import { closeRedis, connectRedis, createRedisClient, type RedisClient } from './store/redis/redis-client.js';
import { createStockCacheWriter, type StockCacheWriter } from './store/redis/stock-cache.js';
import { stockKeys, type StockKeys } from './store/redis/stock-keys.js';

export interface Services {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Reads and single-statement writes (create, management). */
  readonly readPool: pg.Pool;
  /** Pipelined connections for actor flushes: at most one per shard at a time. */
  readonly enginePool: pg.Pool;
  readonly redis: RedisClient;
  readonly keys: StockKeys;
  readonly cacheWriter: StockCacheWriter;
  readonly engine: StockEngine;
  /** Order holds: a cart's lines held, confirmed, released or expired together (one transaction each). */
  readonly orders: OrderHolds;
  /** Releases expired reservations through the engine; stopped first on close. */
  readonly sweeper: ReservationSweeper;
  /** The health checker: reconciliation runs (scheduled when health_check.enable), diff fixes. */
  readonly reconciler: Reconciler;
  /** History partitions and retention, idempotency expiry, audits, point-in-time, restore. */
  readonly ledger: Ledger;
  /** Which webhooks want which events (`notifications.webhooks`): every outbox write takes these. */
  readonly eventRoutes: EventRoutes;
  /** Sends the outbox's rows to the webhooks (idle when none is configured). */
  readonly webhooks: WebhookDispatcher;
  readonly startedAt: Date;
  /** Drains the engine, then closes pools and Redis. */
  close(): Promise<void>;
}

export interface ServicesOptions {
  log?: Logger;
  /** prom-client process metrics (one app per process should collect them). */
  collectDefaultMetrics?: boolean;
}

export async function createServices(config: Config, options: ServicesOptions = {}): Promise<Services> {
  const log = options.log ?? pino({ level: config.logging.level });
  const postgres = config.database.postgres;
  if (postgres.create_database) await ensureDatabase(postgres);
  const applied = await migrate(postgres);
  if (applied.length > 0) log.info({ applied }, 'migrations applied');

  const metrics = createMetrics({ collectDefaults: options.collectDefaultMetrics ?? false });
  const shards = config.engine.shards;
  const naive = config.engine.mode === 'naive';
  // The naive baseline gets the same connection count, unpipelined: one statement at a time.
  const enginePool = createPool(postgres, { max: shards, applicationName: 'inventory-engine', pipeline: !naive });
  const readPool = createPool(postgres, { max: postgres.pool_max - shards, applicationName: 'inventory-api', pipeline: false });
  registerPoolMetrics(metrics.registry, { engine: enginePool, read: readPool });
  const eventRoutes = eventRoutesOf(config.notifications.webhooks);
  const redis = createRedisClient(config.redis, 'inventory-service');
  if (!(await connectRedis(redis, limits.redisConnectTimeoutMs(config.redis.command_timeout_ms)))) {
    log.warn('Redis is not reachable; syncs still commit to PostgreSQL and reconciliation repairs Redis later');
  }
  const keys = stockKeys(config.redis.key_prefix);
  const cacheWriter = createStockCacheWriter(redis, keys, config.redis.mode);
  // Stock crossings announced to webhooks, by the engine's flushes and by order holds alike.
  const stockEvents = { routes: routesFor(eventRoutes, stockEventTypes), lowStockThreshold: config.inventory.low_stock_threshold };
  const engine = naive ? createNaiveEngine({
    pool: enginePool,
    cacheWriter,
    redisWriteWaitMs: config.redis.write_wait_ms,
    inFlightMax: config.engine.queue_depth_max,
    metrics,
    log,
  }) : createBatchedEngine({
    shards,
    flushOpsMax: config.engine.flush_ops_max,
    queueDepthMax: config.engine.queue_depth_max,
    redisWriteWaitMs: config.redis.write_wait_ms,
    pool: enginePool,
    cacheWriter,
    stockEvents,
    metrics,
    log,
  });
  metrics.setQueueDepthSource(() => engine.queueDepths());
  metrics.shardQueueDepthMax.set(config.engine.queue_depth_max);
  const orders = new OrderHolds({
    pool: readPool, cacheWriter, redisWriteWaitMs: config.redis.write_wait_ms, outcomeResolveMs: limits.outcomeResolveMs,
    stockEvents, metrics, log,
  });
  const sweeper = startReservationSweeper({
    pool: readPool, engine, orders, metrics, log,
    intervalMs: config.reservations.sweep_interval_ms,
    batchMax: config.reservations.sweep_batch_max,
  });

  const reconcileMetrics = createReconcileMetrics(metrics.registry, () => countPendingDiffs(readPool));
  const reconciler = new Reconciler({
    config, readPool, log, metrics: reconcileMetrics, redis, keys,
    fix: { config, readPool, engine, redis, keys, metrics: reconcileMetrics, log },
  });
  if (config.inventory.health_check.enable) {
    reconciler.startSchedule(config.durations_ms.health_check_interval);
    // A Redis that comes back empty is rebuilt from PostgreSQL without waiting for an operator.
    reconciler.startRedisWatch();
  }

  const ledger = new Ledger({ config, readPool, engine, log, registry: metrics.registry });
  ledger.start();

  const webhooks = new WebhookDispatcher({
    pool: readPool, settings: config.notifications, log,
    metrics: createWebhookMetrics(metrics.registry, () => countOutbox(readPool)),
  });
  webhooks.start();

  let closing: Promise<void> | null = null;
  return {
    config, log, metrics, readPool, enginePool, redis, keys, cacheWriter, engine, orders, sweeper, reconciler, ledger, eventRoutes, webhooks,
    startedAt: new Date(),
    close: () => (closing ??= (async () => {
      await Promise.all([sweeper.stop(), reconciler.close(), ledger.close(), webhooks.close()]);
      await engine.drain();
      await Promise.allSettled([enginePool.end(), readPool.end()]);
      await closeRedis(redis, config.redis.command_timeout_ms);
    })()),
  };
}
