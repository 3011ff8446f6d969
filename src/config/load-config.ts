/**
 * Loads `config/config.yaml` (or CONFIG_FILE), applies environment overrides, fills in defaults,
 * validates the result and checks relations between keys. Every problem found — schema, relations,
 * environment variables — is thrown at once in one `ConfigError`, each naming its key, and the
 * service does not start.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import * as limits from '../limits.js';
import { configSchema, durationPattern } from './config-schema.js';
import type { Config, ConfigDurationsMs, ConfigFile } from './config-types.js';

/** A config that cannot start the service: every problem found, each naming its key. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: string | readonly string[], source?: string) {
    const list = typeof problems === 'string' ? [problems] : problems;
    const where = source === undefined ? '' : ` (${source})`;
    super(list.length === 1
      ? `Invalid configuration${where}: ${list[0]}`
      : `Invalid configuration${where}, ${list.length} problems:\n${list.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = list;
  }
}

export const defaultConfigPath = fileURLToPath(new URL('../../config/config.yaml', import.meta.url));

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env, path = env.CONFIG_FILE ?? defaultConfigPath): Config {
  let raw: unknown;
  try {
    // An empty file is a config with every default.
    raw = parseYaml(readFileSync(path, 'utf8')) ?? {};
  } catch (error) {
    throw new ConfigError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError('the file is not a YAML mapping', path);
  dropEmptyKeys(raw as Record<string, unknown>);
  const envProblems = applyEnvOverrides(raw as Record<string, unknown>, env);
  let config: Config;
  try {
    config = validateFile(raw, path);
  } catch (error) {
    if (!(error instanceof ConfigError) || envProblems.length === 0) throw error;
    throw new ConfigError([...envProblems, ...error.problems], path);
  }
  if (envProblems.length > 0) throw new ConfigError(envProblems, path);
  return config;
}

/**
 * A key written with no value (`server:` whose keys are all commented out, `password:`) is YAML
 * null: it is taken as left out, so its default applies, rather than refused as "must be object".
 */
function dropEmptyKeys(mapping: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(mapping)) {
    if (value === null) delete mapping[key];
    else if (typeof value === 'object' && !Array.isArray(value)) dropEmptyKeys(value as Record<string, unknown>);
  }
}

/**
 * Validates a plain object (a config built by a test, or one validated before and patched) and
 * returns it typed. The computed `durations_ms` of an earlier validation is dropped and computed
 * again, so a patched duration is never paired with a stale parse.
 */
export function validateConfig(raw: unknown): Config {
  if (typeof raw === 'object' && raw !== null && 'durations_ms' in raw) {
    const { durations_ms: _stale, ...file } = raw as Record<string, unknown>;
    return validateFile(file);
  }
  return validateFile(raw);
}

let compiled: ValidateFunction | undefined;

function validateFile(raw: unknown, source?: string): Config {
  // allErrors: a user fixing a file sees every problem at once, not one per start.
  compiled ??= new Ajv({ allErrors: true, strict: true, useDefaults: true }).compile(configSchema);
  if (!compiled(raw)) {
    throw new ConfigError(unique(compiled.errors!.map((error) => describeSchemaError(error, raw))), source);
  }
  const file = raw as ConfigFile;
  const problems = [...relationProblems(file), ...webhookProblems(file)];
  const durations = parseDurations(file, problems);
  if (problems.length > 0) throw new ConfigError(problems, source);
  return Object.assign(file, { durations_ms: durations });
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function describeSchemaError(error: ErrorObject, raw: unknown): string {
  const key = error.instancePath.slice(1).replaceAll('/', '.') || '(root)';
  switch (error.keyword) {
    case 'additionalProperties':
      return `${key} has an unknown key '${(error.params as { additionalProperty: string }).additionalProperty}'`;
    case 'required':
      return `${key} is missing the key '${(error.params as { missingProperty: string }).missingProperty}'`;
    case 'enum':
      if (key === 'database.driver') {
        return `database.driver '${String(valueAt(raw, error.instancePath))}' is not supported: ` +
          'this service stores stock in PostgreSQL only (driver: postgres)';
      }
      return `${key} must be one of: ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    default:
      return `${key} ${error.message ?? 'is invalid'}`;
  }
}

function valueAt(raw: unknown, instancePath: string): unknown {
  let value = raw;
  for (const part of instancePath.split('/').slice(1)) value = (value as Record<string, unknown> | undefined)?.[part];
  return value;
}

/** Relations between keys, each a problem of its own (all reported at once, like schema errors). */
function relationProblems(config: ConfigFile): string[] {
  const { engine, database, reservations, redis, idempotency } = config;
  const problems: string[] = [];
  if (database.postgres.pool_max < engine.shards + 2) {
    problems.push(`database.postgres.pool_max (${database.postgres.pool_max}) must be at least ` +
      `engine.shards + 2 (${engine.shards + 2}): every shard may hold a connection while it flushes, ` +
      'and reads need at least two more');
  }
  if (engine.queue_depth_max < engine.flush_ops_max) {
    problems.push('engine.queue_depth_max must be at least engine.flush_ops_max');
  }
  if (reservations.ttl_seconds_default > reservations.ttl_seconds_max) {
    problems.push('reservations.ttl_seconds_default must not exceed reservations.ttl_seconds_max');
  }
  if (redis.cluster.enable && redis.cluster.nodes.length === 0) {
    problems.push('redis.cluster.nodes must list at least one host:port when redis.cluster.enable is true');
  }
  if (idempotency.retention_hours * 3600 < reservations.ttl_seconds_max) {
    problems.push(`idempotency.retention_hours (${idempotency.retention_hours}) must cover reservations.ttl_seconds_max ` +
      `(${reservations.ttl_seconds_max} s): a reserve retried while its reservation may still be pending must replay, not reserve again`);
  }
  if (database.postgres.statement_timeout_ms >= limits.shutdownGraceMs) {
    problems.push(`database.postgres.statement_timeout_ms (${database.postgres.statement_timeout_ms}) must be ` +
      `below the shutdown grace period (${limits.shutdownGraceMs} ms), so a flush waiting on a lock ends before the process must exit`);
  }
  return problems;
}

/** The duration keys in milliseconds, parsed here once; a bad one is added to `problems` (and read as 0, never used). */
function parseDurations(config: ConfigFile, problems: string[]): ConfigDurationsMs {
  const parse = (value: string, key: string): number => {
    try {
      return durationMs(value, key);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return 0;
    }
  };
  return {
    health_check_interval: parse(config.inventory.health_check.interval, 'inventory.health_check.interval'),
    history_maintenance_interval: parse(config.history.maintenance_interval, 'history.maintenance_interval'),
  };
}

/** Webhook entries that could not be told apart or retried sensibly. */
function webhookProblems({ notifications }: ConfigFile): string[] {
  const problems: string[] = [];
  // A delivery row names its webhook by url: two entries with one url could not be told apart.
  const urls = notifications.webhooks.map((webhook) => webhook.url);
  const repeated = urls.find((url, index) => urls.indexOf(url) !== index);
  if (repeated !== undefined) {
    problems.push(`notifications.webhooks lists ${repeated} twice: give each url once, with every event it wants`);
  }
  if (notifications.retry_base_ms > notifications.retry_max_ms) {
    problems.push('notifications.retry_base_ms must not exceed notifications.retry_max_ms');
  }
  return problems;
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

/** Writes the environment's overrides into the raw file; returns the variables that are invalid. */
function applyEnvOverrides(config: Record<string, unknown>, env: Env): string[] {
  const problems: string[] = [];
  /** Sets the key at a dotted path, creating sections; skipped where the file has no mapping (the schema says so). */
  const set = (path: string, value: unknown) => {
    const keys = path.split('.');
    let node = config;
    for (const key of keys.slice(0, -1)) {
      node[key] ??= {};
      const next = node[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) return;
      node = next as Record<string, unknown>;
    }
    node[keys.at(-1)!] = value;
  };
  const setInteger = (path: string, name: string) => {
    const value = env[name];
    if (!value) return;
    if (/^[0-9]+$/.test(value)) set(path, Number(value));
    else problems.push(`environment variable ${name} must be an integer, got '${value}'`);
  };
  setInteger('server.port', 'PORT');
  if (env.HOST) set('server.host', env.HOST);
  if (env.AUTH_TOKEN !== undefined) set('server.auth_token', env.AUTH_TOKEN);
  for (const role of ['sync', 'operator', 'read'] as const) {
    const token = env[`AUTH_TOKEN_${role.toUpperCase()}`];
    if (token !== undefined) set(`server.auth.tokens.${role}`, token);
  }
  if (env.DATABASE_URL) set('database.postgres.url', env.DATABASE_URL);
  setInteger('database.postgres.pool_max', 'DATABASE_POOL_MAX');
  if (env.REDIS_URL) set('redis.url', env.REDIS_URL);
  if (env.REDIS_MODE) set('redis.mode', env.REDIS_MODE);
  if (env.REDIS_KEY_PREFIX !== undefined) set('redis.key_prefix', env.REDIS_KEY_PREFIX);
  if (env.ENGINE_MODE) set('engine.mode', env.ENGINE_MODE);
  setInteger('engine.shards', 'ENGINE_SHARDS');
  if (env.LOG_LEVEL) set('logging.level', env.LOG_LEVEL);
  return problems;
}
