/**
 * Proves the config loads with working local defaults, environment variables override it, and an
 * invalid config stops the start with a message naming the key.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { readFileSync } from 'node:fs';
import { ConfigError, defaultConfigPath, durationMs, loadConfig } from '../../../src/config/load-config.js';

function withYaml(mutate: (raw: Record<string, any>) => void): string {
  const raw = parse(readFileSync(defaultConfigPath, 'utf8'));
  mutate(raw);
  const path = join(tmpdir(), `inventory-config-${process.pid}-${Math.random()}.yaml`);
  writeFileSync(path, stringify(raw));
  return path;
}

describe('config', () => {
  it('defaults point at local PostgreSQL and Redis on the spec port', () => {
    const config = loadConfig({});
    expect(config.server.port).toBe(8083);
    expect(config.database.postgres).toMatchObject({ host: '127.0.0.1', port: 5432 });
    expect(config.redis).toMatchObject({ host: '127.0.0.1', port: 6379, mode: 'cache' });
    expect(durationMs(config.inventory.health_check.interval, 'x')).toBe(300_000);
  });

  it('environment variables override the file', () => {
    const config = loadConfig({ PORT: '9999', DATABASE_URL: 'postgres://u@db:5432/inv', REDIS_URL: 'redis://cache:6380/1', ENGINE_SHARDS: '4', REDIS_MODE: 'seckill' });
    expect(config.server.port).toBe(9999);
    expect(config.database.postgres.url).toBe('postgres://u@db:5432/inv');
    expect(config.redis.url).toBe('redis://cache:6380/1');
    expect(config.engine.shards).toBe(4);
    expect(config.redis.mode).toBe('seckill');
  });

  const invalid: [string, (raw: Record<string, any>) => void, string][] = [
    ['out of range', (raw) => { raw.engine.shards = 0; }, 'engine.shards must be >= 1'],
    ['wrong type', (raw) => { raw.server.port = 'http'; }, 'server.port must be integer'],
    ['unknown key', (raw) => { raw.redis.hots = 'x'; }, "redis has an unknown key 'hots'"],
    ['missing key', (raw) => { delete raw.inventory.max_delta; }, "inventory is missing the key 'max_delta'"],
    ['bad enum', (raw) => { raw.redis.mode = 'write-through'; }, 'redis.mode must be one of: cache, seckill'],
    ['bad duration', (raw) => { raw.inventory.health_check.interval = '5 minutes'; }, 'inventory.health_check.interval'],
    ['pool smaller than shards', (raw) => { raw.engine.shards = 30; }, 'database.postgres.pool_max (20) must be at least engine.shards + 2'],
  ];
  it.each(invalid)('refuses a config with a key %s, naming the key', (_name, mutate, message) => {
    const path = withYaml(mutate);
    expect(() => loadConfig({}, path)).toThrow(ConfigError);
    expect(() => loadConfig({}, path)).toThrow(message);
  });

  it('refuses a non-integer PORT', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow('environment variable PORT must be an integer');
  });
});
