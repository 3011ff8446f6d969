/**
 * Loads `config/config.yaml` (or CONFIG_FILE), applies environment overrides, validates the result
 * and checks relations between keys. Any problem throws a `ConfigError` naming the key, and the
 * service does not start.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import * as limits from '../limits.js';
import { configSchema, durationPattern } from './config-schema.js';
import type { Config } from './config-types.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(`Invalid configuration: ${message}`);
    this.name = 'ConfigError';
  }
}

export const defaultConfigPath = fileURLToPath(new URL('../../config/config.yaml', import.meta.url));

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env, path = env.CONFIG_FILE ?? defaultConfigPath): Config {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read ${path}: ${(error as Error).message}`);
  }
  applyEnvOverrides(raw, env);
  return validateConfig(raw);
}

/** Validates a plain object (from YAML, or built by a test) and returns it typed. */
export function validateConfig(raw: unknown): Config {
  const ajv = new Ajv({ allErrors: false, strict: true, useDefaults: true });
  const validate = ajv.compile(configSchema);
  if (!validate(raw)) {
    const error = validate.errors![0]!;
    const key = error.instancePath.slice(1).replaceAll('/', '.') || '(root)';
    const detail = error.keyword === 'additionalProperties'
      ? `has an unknown key '${(error.params as { additionalProperty: string }).additionalProperty}'`
      : error.keyword === 'required'
        ? `is missing the key '${(error.params as { missingProperty: string }).missingProperty}'`
        : error.keyword === 'enum'
          ? `must be one of: ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`
          : `${error.message ?? 'is invalid'}`;
    throw new ConfigError(`${key} ${detail}`);
  }
  const config = raw as unknown as Config;
  checkRelations(config);
  return config;
}

function checkRelations(config: Config): void {
  const { engine, database, reservations, redis, inventory } = config;
  if (database.postgres.pool_max < engine.shards + 2) {
    throw new ConfigError(`database.postgres.pool_max (${database.postgres.pool_max}) must be at least ` +
      `engine.shards + 2 (${engine.shards + 2}): every shard may hold a connection while it flushes, ` +
      'and reads need at least two more');
  }
  if (engine.queue_depth_max < engine.flush_ops_max) {
    throw new ConfigError('engine.queue_depth_max must be at least engine.flush_ops_max');
  }
  if (reservations.ttl_seconds_default > reservations.ttl_seconds_max) {
    throw new ConfigError('reservations.ttl_seconds_default must not exceed reservations.ttl_seconds_max');
  }
  if (redis.cluster.enable && redis.cluster.nodes.length === 0) {
    throw new ConfigError('redis.cluster.nodes must list at least one host:port when redis.cluster.enable is true');
  }
  durationMs(inventory.health_check.interval, 'inventory.health_check.interval');
  checkLedgerRelations(config);
  checkWebhooks(config);
  if (database.postgres.statement_timeout_ms >= limits.shutdownGraceMs) {
    throw new ConfigError(`database.postgres.statement_timeout_ms (${database.postgres.statement_timeout_ms}) must be ` +
      `below the shutdown grace period (${limits.shutdownGraceMs} ms), so a flush waiting on a lock ends before the process must exit`);
  }
}

function checkLedgerRelations({ history, idempotency, reservations }: Config): void {
  durationMs(history.maintenance_interval, 'history.maintenance_interval');
  if (idempotency.retention_hours * 3600 < reservations.ttl_seconds_max) {
    throw new ConfigError(`idempotency.retention_hours (${idempotency.retention_hours}) must cover reservations.ttl_seconds_max ` +
      `(${reservations.ttl_seconds_max} s): a reserve retried while its reservation may still be pending must replay, not reserve again`);
  }
}

function checkWebhooks({ notifications }: Config): void {
  // A delivery row names its webhook by url: two entries with one url could not be told apart.
  const urls = notifications.webhooks.map((webhook) => webhook.url);
  const repeated = urls.find((url, index) => urls.indexOf(url) !== index);
  if (repeated !== undefined) {
    throw new ConfigError(`notifications.webhooks lists ${repeated} twice: give each url once, with every event it wants`);
  }
  if (notifications.retry_base_ms > notifications.retry_max_ms) {
    throw new ConfigError('notifications.retry_base_ms must not exceed notifications.retry_max_ms');
  }
}

/** Parses "300s", "5m", "1500ms", "1h" into milliseconds, between 1 s and `limits.durationMaxMs`. */
export function durationMs(value: string, key: string): number {
  const match = new RegExp(durationPattern).exec(value);
  if (!match) throw new ConfigError(`${key} must be a duration such as 300s, 5m or 1500ms`);
  const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  const ms = Number(match[1]) * unitMs;
  if (ms < 1000) throw new ConfigError(`${key} must be at least 1s`);
  if (ms > limits.durationMaxMs) throw new ConfigError(`${key} must be at most ${limits.durationMaxMs / 3_600_000}h`);
  return ms;
}

function applyEnvOverrides(raw: unknown, env: Env): void {
  if (typeof raw !== 'object' || raw === null) throw new ConfigError('the file is not a YAML mapping');
  const config = raw as Record<string, Record<string, unknown>>;
  const set = (section: string, key: string, value: unknown) => {
    config[section] ??= {};
    config[section][key] = value;
  };
  const postgres = () => ((config.database ??= {}).postgres ??= {}) as Record<string, unknown>;
  const integerFrom = (name: string, value: string): number => {
    if (!/^[0-9]+$/.test(value)) throw new ConfigError(`environment variable ${name} must be an integer, got '${value}'`);
    return Number(value);
  };
  if (env.PORT) set('server', 'port', integerFrom('PORT', env.PORT));
  if (env.HOST) set('server', 'host', env.HOST);
  if (env.AUTH_TOKEN !== undefined) set('server', 'auth_token', env.AUTH_TOKEN);
  for (const role of ['sync', 'operator', 'read'] as const) {
    const token = env[`AUTH_TOKEN_${role.toUpperCase()}`];
    if (token === undefined) continue;
    const auth = ((config.server ??= {}).auth ??= {}) as Record<string, Record<string, unknown>>;
    (auth.tokens ??= {})[role] = token;
  }
  if (env.DATABASE_URL) postgres().url = env.DATABASE_URL;
  if (env.DATABASE_POOL_MAX) postgres().pool_max = integerFrom('DATABASE_POOL_MAX', env.DATABASE_POOL_MAX);
  if (env.REDIS_URL) set('redis', 'url', env.REDIS_URL);
  if (env.REDIS_MODE) set('redis', 'mode', env.REDIS_MODE);
  if (env.REDIS_KEY_PREFIX !== undefined) set('redis', 'key_prefix', env.REDIS_KEY_PREFIX);
  if (env.ENGINE_MODE) set('engine', 'mode', env.ENGINE_MODE);
  if (env.ENGINE_SHARDS) set('engine', 'shards', integerFrom('ENGINE_SHARDS', env.ENGINE_SHARDS));
  if (env.LOG_LEVEL) set('logging', 'level', env.LOG_LEVEL);
}
