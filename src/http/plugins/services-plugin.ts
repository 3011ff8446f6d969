/**
 * The services a route may use, as fastify decorators (`app.engine`, `app.readPool`, …): each route
 * plugin names only what it reaches, and none sees the composition root's whole bag. Wrapped by
 * fastify-plugin so the decorators land on the root instance, visible to every route plugin.
 */
import fp from 'fastify-plugin';
import type pg from 'pg';
import type { Config } from '../../config/config-types.js';
import type { EventRoutes } from '../../domain/events.js';
import type { StockEngine } from '../../engine/stock-engine.js';
import type { Ledger } from '../../ledger/ledger.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { OrderHolds } from '../../orders/order-holds.js';
import type { Reconciler } from '../../reconcile/reconcile-runner.js';
import type { RedisClient } from '../../store/redis/redis-client.js';
import type { StockCacheWriter } from '../../store/redis/stock-cache.js';

/** What the HTTP layer needs from the composition root (`createServices` gives more). */
export interface HttpServices {
  readonly config: Config;
  readonly metrics: Metrics;
  readonly readPool: pg.Pool;
  readonly redis: RedisClient;
  readonly cacheWriter: StockCacheWriter;
  readonly engine: StockEngine;
  readonly orders: OrderHolds;
  readonly reconciler: Reconciler;
  readonly ledger: Ledger;
  readonly eventRoutes: EventRoutes;
  readonly startedAt: Date;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The validated configuration. */
    config: Config;
    metrics: Metrics;
    /** Reads and single-statement writes; the engine has its own pool. */
    readPool: pg.Pool;
    redis: RedisClient;
    cacheWriter: StockCacheWriter;
    /** Every stock change goes through it (per-product actors, batched flushes). */
    engine: StockEngine;
    /** Order holds: a cart's lines changed together, one transaction per operation. */
    orders: OrderHolds;
    /** The health checker: reconciliation runs and diff fixes. */
    reconciler: Reconciler;
    /** History: audits, point-in-time stock, restore, maintenance. */
    ledger: Ledger;
    /** Which webhooks want which events: a route that changes state writes its events with these. */
    eventRoutes: EventRoutes;
    startedAt: Date;
  }
}

export const servicesPlugin = fp<{ services: HttpServices }>(async (app, { services }) => {
  app.decorate('config', services.config);
  app.decorate('metrics', services.metrics);
  app.decorate('readPool', services.readPool);
  app.decorate<RedisClient>('redis', services.redis);
  app.decorate('cacheWriter', services.cacheWriter);
  app.decorate('engine', services.engine);
  app.decorate('orders', services.orders);
  app.decorate('reconciler', services.reconciler);
  app.decorate('ledger', services.ledger);
  app.decorate('eventRoutes', services.eventRoutes);
  app.decorate('startedAt', services.startedAt);
}, { name: 'inventory-services', fastify: '5.x' });
