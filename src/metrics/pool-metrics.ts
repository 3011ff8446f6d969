/**
 * PostgreSQL pool gauges, read from the pools at scrape time (no bookkeeping on the query path).
 * `pool` is `engine` (pipelined flush connections, one per shard at most) or `read` (reads and
 * single-statement writes). In use = total − idle; waiting > 0 means callers queue for a connection.
 */
import type pg from 'pg';
import { Gauge, type Registry } from 'prom-client';

export type PoolName = 'engine' | 'read';

export function registerPoolMetrics(registry: Registry, pools: Record<PoolName, pg.Pool>): void {
  const entries = Object.entries(pools) as [PoolName, pg.Pool][];
  const gauge = (name: string, help: string, read: (pool: pg.Pool) => number) => new Gauge({
    name, help, labelNames: ['pool'], registers: [registry],
    collect() {
      for (const [pool, instance] of entries) this.set({ pool }, read(instance));
    },
  });
  gauge('inventory_pg_pool_connections', 'Connections the pool holds, idle or checked out.', (pool) => pool.totalCount);
  gauge('inventory_pg_pool_idle_connections', 'Connections the pool holds that nobody has checked out.', (pool) => pool.idleCount);
  gauge('inventory_pg_pool_waiting_clients', 'Callers waiting for a connection because the pool is at its maximum.', (pool) => pool.waitingCount);
  gauge('inventory_pg_pool_max_connections', 'The pool\'s maximum size (its `max` option).', (pool) => pool.options.max ?? Number.NaN);
}
