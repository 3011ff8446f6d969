/** The validated configuration. Field names follow config.yaml (snake_case) so the two read alike. */
export interface Config {
  server: {
    host: string; port: number; grpc_port: number; request_timeout_ms: number; auth_token: string;
    /** Role-scoped tokens (src/http/auth.ts); each optional, empty = that role is open. */
    auth?: { tokens?: { sync?: string; operator?: string; read?: string } };
  };
  database: {
    driver: 'postgres';
    postgres: {
      host: string; port: number; user: string; password: string; dbname: string;
      create_database: boolean; pool_max: number; connect_timeout_ms: number; statement_timeout_ms: number;
      /** From DATABASE_URL; wins over host/port/user/password/dbname when set. */
      url?: string;
    };
  };
  redis: {
    host: string; port: number; password: string; db: number; key_prefix: string;
    mode: RedisMode; command_timeout_ms: number; write_wait_ms: number;
    /** From REDIS_URL; wins over host/port/password/db when set. */
    url?: string;
    cluster: { enable: boolean; nodes: string[] };
  };
  inventory: {
    default_stock: number; low_stock_threshold: number; max_delta: number;
    health_check: {
      enable: boolean; interval: string; tolerance: number; alert_threshold: number;
      workers: number; chunk_rows: number; inflight_allowance: number;
    };
    compensation: { enable: boolean; auto_fix: boolean; max_fix_amount: number };
    /** How old a stats snapshot may be before a request refreshes it (default limits.statsMaxAgeMsDefault; 0: always fresh). */
    stats_max_age_ms?: number;
  };
  engine: { mode: EngineMode; shards: number; flush_ops_max: number; queue_depth_max: number };
  reservations: { ttl_seconds_default: number; ttl_seconds_max: number; sweep_interval_ms: number; sweep_batch_max: number };
  logging: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  /** `inventory_logs` partitions and retention (docs/ledger.md). */
  history: { retention_days: number; partition_interval: PartitionInterval; maintenance_interval: string };
  /** How long a keyed change's first result is kept for replays (docs/ledger.md). */
  idempotency: { retention_hours: number };
  /** Webhooks and their delivery (docs/operations.md, "Webhooks"); none by default. */
  notifications: NotificationsConfig;
}

/**
 * The event types a webhook may subscribe to. The same list as `webhookEventTypes` in
 * src/domain/events.ts (config may not import the domain; test/unit/config checks they agree).
 */
export const webhookEventTypeNames = [
  'alert.raised', 'alert.closed', 'stock.low', 'stock.out', 'stock.back_in_stock', 'diff.found', 'rebuild.finished',
] as const;

export interface WebhookConfig { url: string; secret: string; events: (typeof webhookEventTypeNames)[number][] }

export interface NotificationsConfig {
  webhooks: WebhookConfig[];
  /** Attempts per delivery; after the last one it is `failed`. */
  attempts_max: number;
  /** Pause before the second attempt; doubled each time (with jitter) up to retry_max_ms. */
  retry_base_ms: number;
  retry_max_ms: number;
  request_timeout_ms: number;
  /** How often the delivery worker looks for due rows when it has not just been woken. */
  poll_interval_ms: number;
}

export type RedisMode = 'cache' | 'seckill';
/** The time range of one `inventory_logs` partition (UTC). */
export type PartitionInterval = 'daily' | 'weekly' | 'monthly';
export type EngineMode = 'batched' | 'naive';
