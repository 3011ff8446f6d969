/**
 * The JSON schema of `config/config.yaml`: every key, its type and range. A config that does not
 * match stops the start with a message naming the key. Hard maxima come from `limits.ts`.
 */
import { webhookEventTypeNames } from './config-types.js';
import * as limits from '../limits.js';

const integer = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum }) as const;
const text = { type: 'string', maxLength: 1024 } as const;
export const durationPattern = '^([0-9]+)(ms|s|m|h)$';
const duration = { type: 'string', pattern: durationPattern } as const;
/** Every key is required unless named in `optional` (keys only environment variables set). */
const object = (properties: Record<string, unknown>, optional: string[] = []) => ({
  type: 'object', additionalProperties: false, properties,
  required: Object.keys(properties).filter((key) => !optional.includes(key)),
}) as const;

/** A section that may be left out, whose keys may be left out too (each carries its `default`). */
const withDefaults = (properties: Record<string, unknown>) => ({ ...object(properties, Object.keys(properties)), default: {} }) as const;

export const configSchema = object({
  server: object({
    host: text,
    port: integer(0, 65535),
    grpc_port: integer(0, 65535),
    request_timeout_ms: integer(100, 600_000),
    auth_token: text,
    auth: object({
      tokens: object({ sync: text, operator: text, read: text }, ['sync', 'operator', 'read']),
    }, ['tokens']),
  }, ['auth']),
  database: object({
    driver: { enum: ['postgres'] },
    postgres: object({
      host: text,
      port: integer(1, 65535),
      user: text,
      password: text,
      dbname: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$' },
      create_database: { type: 'boolean' },
      pool_max: integer(2, 1000),
      connect_timeout_ms: integer(100, 600_000),
      statement_timeout_ms: integer(100, 3_600_000),
      url: text,
    }, ['url']),
  }),
  redis: object({
    host: text,
    port: integer(1, 65535),
    password: text,
    db: integer(0, 15),
    key_prefix: { type: 'string', maxLength: 64 },
    mode: { enum: ['cache', 'seckill'] },
    command_timeout_ms: integer(10, 60_000),
    write_wait_ms: integer(0, 10_000),
    url: text,
    cluster: object({
      enable: { type: 'boolean' },
      nodes: { type: 'array', maxItems: 64, items: { type: 'string', pattern: '^[^:]+:[0-9]+$' } },
    }),
  }, ['url']),
  inventory: object({
    default_stock: integer(0, limits.stockMax),
    low_stock_threshold: integer(0, limits.stockMax),
    max_delta: integer(1, limits.deltaAbsMaxLimit),
    health_check: object({
      enable: { type: 'boolean' },
      interval: duration,
      tolerance: integer(0, limits.stockMax),
      alert_threshold: integer(0, limits.stockMax),
      workers: integer(1, limits.reconcileWorkersMaxLimit),
      chunk_rows: integer(1, limits.reconcileChunkRowsMaxLimit),
      inflight_allowance: integer(0, limits.stockMax),
    }),
    compensation: object({
      enable: { type: 'boolean' },
      auto_fix: { type: 'boolean' },
      max_fix_amount: integer(0, limits.stockMax),
    }),
    stats_max_age_ms: integer(0, limits.statsMaxAgeMsLimit),
  }, ['stats_max_age_ms']),
  engine: object({
    mode: { enum: ['batched', 'naive'] },
    shards: integer(1, limits.shardsMaxLimit),
    flush_ops_max: integer(1, limits.flushOpsMaxLimit),
    queue_depth_max: integer(1, limits.shardQueueDepthMaxLimit),
  }),
  reservations: object({
    ttl_seconds_default: integer(1, 30 * 86400),
    ttl_seconds_max: integer(1, 30 * 86400),
    sweep_interval_ms: integer(10, 3_600_000),
    sweep_batch_max: integer(1, 10_000),
  }),
  logging: object({
    level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
  }),
  // The ledger's sections: optional, every key with its default (docs/ledger.md).
  history: withDefaults({
    retention_days: { ...integer(0, limits.historyRetentionDaysMax), default: 90 },
    partition_interval: { enum: ['daily', 'weekly', 'monthly'], default: 'daily' },
    maintenance_interval: { ...duration, default: '10m' },
  }),
  idempotency: withDefaults({
    retention_hours: { ...integer(limits.idempotencyRetryWindowHours, limits.idempotencyRetentionHoursMax), default: 72 },
  }),
  // Webhooks: optional, none by default (docs/operations.md, "Webhooks").
  notifications: withDefaults({
    webhooks: {
      type: 'array', maxItems: limits.webhooksMax, default: [],
      items: object({
        url: { type: 'string', pattern: '^https?://', maxLength: limits.webhookUrlLengthMax },
        secret: { type: 'string', minLength: 1, maxLength: limits.webhookUrlLengthMax },
        events: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: webhookEventTypeNames } },
      }),
    },
    attempts_max: { ...integer(1, limits.webhookAttemptsMaxLimit), default: 10 },
    retry_base_ms: { ...integer(10, limits.webhookRetryMaxMsLimit), default: 1000 },
    retry_max_ms: { ...integer(10, limits.webhookRetryMaxMsLimit), default: 600_000 },
    request_timeout_ms: { ...integer(100, limits.webhookRequestTimeoutMsLimit), default: 5000 },
    poll_interval_ms: { ...integer(10, 60_000), default: 1000 },
  }),
}, ['history', 'idempotency', 'notifications']);
