/**
 * The JSON schema of `config/config.yaml`: every key, its type, range and default. Every key (and
 * every section) may be left out: Ajv fills in the default (`useDefaults`), so the seed design's
 * short config.yaml starts the service as it is. The `Config` type is derived from this schema
 * (config-types.ts), so a key added here is typed everywhere without a second declaration.
 * Hard maxima come from `limits.ts`; docs/configuration.md lists every key with its default.
 */
import * as limits from '../limits.js';

const integer = <const Default extends number>(minimum: number, maximum: number, defaultValue: Default) =>
  ({ type: 'integer', minimum, maximum, default: defaultValue }) as const;
const text = <const Default extends string>(defaultValue: Default) =>
  ({ type: 'string', maxLength: 1024, default: defaultValue }) as const;
const flag = <const Default extends boolean>(defaultValue: Default) => ({ type: 'boolean', default: defaultValue }) as const;
const oneOf = <const Values extends readonly string[], const Default extends Values[number]>(values: Values, defaultValue: Default) =>
  ({ enum: values, default: defaultValue }) as const;
export const durationPattern = '^([0-9]+)(ms|s|m|h)$';
/**
 * The event types a webhook may subscribe to. The same list as `webhookEventTypes` in
 * src/domain/events.ts (config may not import the domain; test/unit/config checks they agree).
 */
export const webhookEventTypeNames = [
  'alert.raised', 'alert.closed', 'stock.low', 'stock.out', 'stock.back_in_stock', 'diff.found', 'rebuild.finished',
] as const;
const duration = <const Default extends string>(defaultValue: Default) =>
  ({ type: 'string', pattern: durationPattern, default: defaultValue }) as const;
/** A key only an environment variable sets (DATABASE_URL, REDIS_URL): no default, may stay unset. */
const optionalText = { type: 'string', maxLength: 1024 } as const;

/** A section: unknown keys refused (a typo must not silently fall back to a default). */
const section = <const Properties extends Record<string, unknown>>(properties: Properties) =>
  ({ type: 'object', additionalProperties: false, properties, default: {} }) as const;

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    server: section({
      host: text('0.0.0.0'),
      port: integer(0, 65535, 8083),
      // The seed design's gRPC port: accepted so its config.yaml loads, but no gRPC server exists.
      grpc_port: integer(0, 65535, 9083),
      request_timeout_ms: integer(100, 600_000, 15_000),
      auth_token: text(''),
      auth: section({
        tokens: section({ sync: text(''), operator: text(''), read: text('') }),
      }),
    }),
    database: section({
      // The store is PostgreSQL only (set-based flushes, advisory locks, partitions); the seed
      // design's key is kept so its file loads, and any other driver is refused by name.
      driver: oneOf(['postgres'], 'postgres'),
      postgres: section({
        host: text('127.0.0.1'),
        port: integer(1, 65535, 5432),
        user: text('postgres'),
        password: text(''),
        dbname: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$', default: 'inventory_db' },
        create_database: flag(true),
        pool_max: integer(2, 1000, 20),
        connect_timeout_ms: integer(100, 600_000, 3000),
        statement_timeout_ms: integer(100, 3_600_000, 15_000),
        url: optionalText,
      }),
    }),
    redis: section({
      host: text('127.0.0.1'),
      port: integer(1, 65535, 6379),
      password: text(''),
      db: integer(0, 15, 2),
      key_prefix: { type: 'string', maxLength: 64, default: '' },
      mode: oneOf(['cache', 'seckill'], 'cache'),
      command_timeout_ms: integer(10, 60_000, 500),
      write_wait_ms: integer(0, 10_000, 20),
      url: optionalText,
      cluster: section({
        enable: flag(false),
        nodes: { type: 'array', maxItems: 64, items: { type: 'string', pattern: '^[^:]+:[0-9]+$' }, default: [] },
      }),
    }),
    inventory: section({
      default_stock: integer(0, limits.stockMax, 1000),
      low_stock_threshold: integer(0, limits.stockMax, 100),
      max_delta: integer(1, limits.deltaAbsMaxLimit, 1_000_000),
      health_check: section({
        enable: flag(true),
        interval: duration('300s'),
        tolerance: integer(0, limits.stockMax, 10),
        alert_threshold: integer(0, limits.stockMax, 50),
        workers: integer(1, limits.reconcileWorkersMaxLimit, 2),
        chunk_rows: integer(1, limits.reconcileChunkRowsMaxLimit, 2000),
        inflight_allowance: integer(0, limits.stockMax, 100),
      }),
      compensation: section({
        enable: flag(true),
        auto_fix: flag(false),
        max_fix_amount: integer(0, limits.stockMax, 1000),
      }),
      stats_max_age_ms: integer(0, limits.statsMaxAgeMsLimit, limits.statsMaxAgeMsDefault),
    }),
    engine: section({
      mode: oneOf(['batched', 'naive'], 'batched'),
      // 2 measured best on this 2-core machine (bench/README.md, "Shard count"): fewer shards, bigger flushes.
      shards: integer(1, limits.shardsMaxLimit, 2),
      flush_ops_max: integer(1, limits.flushOpsMaxLimit, 2048),
      queue_depth_max: integer(1, limits.shardQueueDepthMaxLimit, 20_000),
    }),
    reservations: section({
      ttl_seconds_default: integer(1, 30 * 86400, 900),
      ttl_seconds_max: integer(1, 30 * 86400, 86_400),
      sweep_interval_ms: integer(10, 3_600_000, 1000),
      sweep_batch_max: integer(1, 10_000, 500),
    }),
    logging: section({
      level: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
      // One info line per answered request (method, route, status, duration, trace id).
      access: flag(true),
      // Probes (/health, /metrics) answer every few seconds per scraper: their lines would drown
      // the requests that matter, so they are logged only when asked for.
      access_probes: flag(false),
    }),
    // The ledger (docs/ledger.md).
    history: section({
      retention_days: integer(0, limits.historyRetentionDaysMax, 90),
      partition_interval: oneOf(['daily', 'weekly', 'monthly'], 'daily'),
      maintenance_interval: duration('10m'),
    }),
    idempotency: section({
      retention_hours: integer(limits.idempotencyRetryWindowHours, limits.idempotencyRetentionHoursMax, 72),
    }),
    // Webhooks: none by default (docs/operations.md, "Webhooks").
    notifications: section({
      webhooks: {
        type: 'array', maxItems: limits.webhooksMax, default: [],
        items: {
          // A webhook's keys have no defaults: an entry must say where, how to sign and what for.
          type: 'object', additionalProperties: false, required: ['url', 'secret', 'events'],
          properties: {
            url: { type: 'string', pattern: '^https?://', maxLength: limits.webhookUrlLengthMax },
            secret: { type: 'string', minLength: 1, maxLength: limits.webhookUrlLengthMax },
            events: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: webhookEventTypeNames } },
          },
        },
      },
      attempts_max: integer(1, limits.webhookAttemptsMaxLimit, 10),
      retry_base_ms: integer(10, limits.webhookRetryMaxMsLimit, 1000),
      retry_max_ms: integer(10, limits.webhookRetryMaxMsLimit, 600_000),
      request_timeout_ms: integer(100, limits.webhookRequestTimeoutMsLimit, 5000),
      poll_interval_ms: integer(10, 60_000, 1000),
    }),
  },
} as const;
