/**
 * Proves the config loads with working local defaults, every key may be left out (the seed
 * design's short config.yaml loads as it is), environment variables override it, and an invalid
 * config stops the start with every problem at once, each naming its key.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ConfigError, defaultConfigPath, loadConfig, validateConfig } from '../../../src/config/load-config.js';

const seedConfigPath = new URL('../../fixtures/seed-config.yaml', import.meta.url).pathname;

function writeYaml(text: string): string {
  const path = join(tmpdir(), `inventory-config-${process.pid}-${Math.random()}.yaml`);
  writeFileSync(path, text);
  return path;
}

function withYaml(mutate: (raw: Record<string, any>) => void): string {
  const raw = parse(readFileSync(defaultConfigPath, 'utf8'));
  mutate(raw);
  return writeYaml(stringify(raw));
}

function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('the config was accepted');
}

describe('config', () => {
  it('defaults point at local PostgreSQL and Redis on the spec port', () => {
    const config = loadConfig({});
    expect(config.server.port).toBe(8083);
    expect(config.database.postgres).toMatchObject({ host: '127.0.0.1', port: 5432 });
    expect(config.redis).toMatchObject({ host: '127.0.0.1', port: 6379, mode: 'cache' });
    expect(config.durations_ms).toEqual({ health_check_interval: 300_000, history_maintenance_interval: 600_000 });
  });

  it('an empty file means every default, and the defaults are exactly what config/config.yaml spells out', () => {
    const empty = loadConfig({}, writeYaml(''));
    expect(empty).toEqual(loadConfig({}));
  });

  it('a section with some keys keeps the defaults of the others', () => {
    const config = loadConfig({}, writeYaml('engine:\n  shards: 4\ninventory:\n  health_check:\n    tolerance: 3\n'));
    expect(config.engine).toEqual({ mode: 'batched', shards: 4, flush_ops_max: 2048, queue_depth_max: 20_000 });
    expect(config.inventory.health_check).toMatchObject({ enable: true, interval: '300s', tolerance: 3, alert_threshold: 50 });
    expect(config.logging).toEqual({ level: 'info', access: true, access_probes: false });
  });

  it("the seed design's config.yaml loads verbatim; DATABASE_URL, REDIS_URL and PORT point it at this machine", () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/inventory_seed', REDIS_URL: 'redis://127.0.0.1:6379/2', PORT: '18083',
    }, seedConfigPath);
    expect(config.server).toMatchObject({ port: 18083, grpc_port: 9083, host: '0.0.0.0' });
    expect(config.database.postgres).toMatchObject({
      host: 'postgres', password: 'postgres', dbname: 'inventory_db', url: 'postgres://postgres@127.0.0.1:5432/inventory_seed',
    });
    expect(config.redis).toMatchObject({ host: 'redis', db: 2, url: 'redis://127.0.0.1:6379/2', mode: 'cache' });
    expect(config.inventory).toMatchObject({ default_stock: 1000, low_stock_threshold: 100, max_delta: 1_000_000 });
    expect(config.inventory.health_check).toMatchObject({ enable: true, interval: '300s', tolerance: 10, alert_threshold: 50, workers: 2 });
    expect(config.inventory.compensation).toEqual({ enable: true, auto_fix: false, max_fix_amount: 1000 });
    expect(config.engine.shards).toBe(2);
    expect(config.durations_ms.health_check_interval).toBe(300_000);
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
    ['unknown section', (raw) => { raw.engines = {}; }, "(root) has an unknown key 'engines'"],
    ['bad enum', (raw) => { raw.redis.mode = 'write-through'; }, 'redis.mode must be one of: cache, seckill'],
    ['bad duration', (raw) => { raw.inventory.health_check.interval = '5 minutes'; }, 'inventory.health_check.interval'],
    ['too short a duration', (raw) => { raw.history.maintenance_interval = '10ms'; }, 'history.maintenance_interval must be at least 1s'],
    ['pool smaller than shards', (raw) => { raw.engine.shards = 30; }, 'database.postgres.pool_max (20) must be at least engine.shards + 2'],
  ];
  it.each(invalid)('refuses a config with a key %s, naming the key', (_name, mutate, message) => {
    const path = withYaml(mutate);
    expect(() => loadConfig({}, path)).toThrow(ConfigError);
    expect(() => loadConfig({}, path)).toThrow(message);
  });

  it('reports every problem of a file at once, each with its key path and the file', () => {
    const path = writeYaml([
      'server: { port: http, colour: blue }',
      'engine: { shards: 0, mode: fast }',
      'inventory: { health_check: { interval: soon } }',
    ].join('\n'));
    const error = configError(() => loadConfig({}, path));
    expect([...error.problems].sort()).toEqual([
      'engine.mode must be one of: batched, naive',
      'engine.shards must be >= 1',
      "inventory.health_check.interval must match pattern \"^([0-9]+)(ms|s|m|h)$\"",
      "server has an unknown key 'colour'",
      'server.port must be integer',
    ]);
    expect(error.message).toContain(`Invalid configuration (${path}), 5 problems:\n  - `);
  });

  it('reports every broken relation between keys at once', () => {
    const path = writeYaml('engine: { shards: 30, flush_ops_max: 100, queue_depth_max: 50 }\nhistory: { maintenance_interval: 5h0m }\n');
    expect(configError(() => loadConfig({}, path)).problems).toEqual(['history.maintenance_interval must match pattern "^([0-9]+)(ms|s|m|h)$"']);
    const relations = writeYaml('engine: { shards: 30, flush_ops_max: 100, queue_depth_max: 50 }\nhistory: { maintenance_interval: 500ms }\n');
    expect(configError(() => loadConfig({}, relations)).problems).toEqual([
      'database.postgres.pool_max (20) must be at least engine.shards + 2 (32): every shard may hold a connection while it flushes, and reads need at least two more',
      'engine.queue_depth_max must be at least engine.flush_ops_max',
      'history.maintenance_interval must be at least 1s',
    ]);
  });

  it('refuses a database driver other than postgres by name', () => {
    const path = writeYaml('database:\n  driver: mysql\n');
    expect(configError(() => loadConfig({}, path)).problems).toEqual([
      "database.driver 'mysql' is not supported: this service stores stock in PostgreSQL only (driver: postgres)",
    ]);
  });

  it('accepts grpc_port (no gRPC server is started) and range-checks it like any port', () => {
    expect(loadConfig({}, writeYaml('server: { grpc_port: 19083 }')).server.grpc_port).toBe(19083);
    expect(configError(() => loadConfig({}, writeYaml('server: { grpc_port: 70000 }'))).problems).toEqual(['server.grpc_port must be <= 65535']);
  });

  it('parses durations once, when validated, and again when a validated config is patched', () => {
    const config = loadConfig({});
    const patched = validateConfig({ ...config, inventory: { ...config.inventory, health_check: { ...config.inventory.health_check, interval: '2m' } } });
    expect(patched.durations_ms.health_check_interval).toBe(120_000);
  });

  it('refuses durations_ms in a file: it is computed, not configured', () => {
    expect(configError(() => loadConfig({}, writeYaml('durations_ms: { health_check_interval: 1 }'))).problems).toEqual([
      "(root) has an unknown key 'durations_ms'",
    ]);
  });

  it('refuses a non-integer PORT', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow('environment variable PORT must be an integer');
  });

  it('reports bad environment variables together with the problems of the file', () => {
    const path = writeYaml('engine: { mode: fast }\n');
    expect(configError(() => loadConfig({ PORT: 'eighty', ENGINE_SHARDS: 'two', LOG_LEVEL: 'loud' }, path)).problems).toEqual([
      "environment variable PORT must be an integer, got 'eighty'",
      "environment variable ENGINE_SHARDS must be an integer, got 'two'",
      'engine.mode must be one of: batched, naive',
      'logging.level must be one of: fatal, error, warn, info, debug, trace, silent',
    ]);
  });

  it('takes a key or section left empty as left out', () => {
    const config = loadConfig({ PORT: '9000' }, writeYaml('server:\n  # port: 1\nredis:\n  password:\n  db: 3\n'));
    expect(config.server.port).toBe(9000);
    expect(config.redis).toMatchObject({ password: '', db: 3 });
  });

  it('names a section that is not a mapping (an override for it is skipped, not a crash)', () => {
    expect(configError(() => loadConfig({ PORT: '9000' }, writeYaml('server: 5\n'))).problems).toEqual(['server must be object']);
    expect(configError(() => loadConfig({}, writeYaml('- a\n'))).problems).toEqual(['the file is not a YAML mapping']);
  });
});
