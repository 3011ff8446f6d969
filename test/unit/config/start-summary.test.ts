/**
 * Proves the start-up line names where the service is and what it uses without leaking a
 * password: a wildcard host becomes a URL a browser can open, DATABASE_URL and REDIS_URL are
 * reduced to host, port and database, a Redis Cluster lists its seeds, the naive engine says it is
 * the baseline.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { startMessage, startSummary } from '../../../src/config/start-summary.js';

describe('start-up line', () => {
  it('reports the defaults: loopback URL for a wildcard host, docs, database, Redis, engine', () => {
    const summary = startSummary(loadConfig({}), '/etc/inventory.yaml', 8083);
    expect(summary).toEqual({
      url: 'http://127.0.0.1:8083', docs: 'http://127.0.0.1:8083/docs', config_file: '/etc/inventory.yaml',
      database: '127.0.0.1:5432/inventory_db', redis: '127.0.0.1:6379/2', redis_mode: 'cache', engine: 'batched, 2 shards', access_log: true,
    });
    expect(startMessage(summary)).toBe('inventory service listening on http://127.0.0.1:8083 (docs http://127.0.0.1:8083/docs); ' +
      'config /etc/inventory.yaml; database 127.0.0.1:5432/inventory_db; Redis 127.0.0.1:6379/2 (cache mode); engine batched, 2 shards');
  });

  it('reduces URLs with credentials to host, port and database, and names the port the server got', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://app:s3cret@db.internal:6432/shop', REDIS_URL: 'redis://:hunter2@cache.internal:6380/5',
      HOST: '10.0.0.7', ENGINE_MODE: 'naive', REDIS_MODE: 'seckill',
    });
    const summary = startSummary(config, 'config.yaml', 40123);
    expect(summary).toMatchObject({
      url: 'http://10.0.0.7:40123', database: 'db.internal:6432/shop', redis: 'cache.internal:6380/5',
      redis_mode: 'seckill', engine: 'naive (benchmark baseline)',
    });
    expect(JSON.stringify(summary) + startMessage(summary)).not.toMatch(/s3cret|hunter2|app:/);
  });

  it('lists the seeds of a Redis Cluster and brackets an IPv6 host', () => {
    const config = loadConfig({ HOST: '::1' });
    const clustered = { ...config, redis: { ...config.redis, cluster: { enable: true, nodes: ['10.0.0.1:7000', '10.0.0.2:7000'] } } };
    expect(startSummary(clustered, 'c.yaml', 8083)).toMatchObject({ url: 'http://[::1]:8083', redis: 'cluster 10.0.0.1:7000,10.0.0.2:7000' });
  });
});
