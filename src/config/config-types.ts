/**
 * The validated configuration's types, derived from the schema (config-schema.ts) so the two
 * cannot drift. Field names follow config.yaml (snake_case) so the two read alike. A key with a
 * default is present after validation; `url` keys (set only by DATABASE_URL / REDIS_URL) may be
 * absent and then win over host/port/… when set.
 */
import type { FromSchema } from 'json-schema-to-ts';
import type { configSchema } from './config-schema.js';

/** What config.yaml holds after defaults are filled in. */
export type ConfigFile = FromSchema<typeof configSchema>;

/** Durations parsed once, when the config is validated (the file keeps the readable "300s"). */
export interface ConfigDurationsMs {
  /** `inventory.health_check.interval` */
  health_check_interval: number;
  /** `history.maintenance_interval` */
  history_maintenance_interval: number;
}

export type Config = ConfigFile & {
  /** Not a file key: computed by validateConfig from the duration keys above. */
  readonly durations_ms: ConfigDurationsMs;
};

export type RedisMode = Config['redis']['mode'];
/** The time range of one `inventory_logs` partition (UTC). */
export type PartitionInterval = Config['history']['partition_interval'];
export type EngineMode = Config['engine']['mode'];
export type LogLevel = Config['logging']['level'];
/** Webhooks and their delivery (docs/operations.md, "Webhooks"); none by default. */
export type NotificationsConfig = Config['notifications'];
export type WebhookConfig = NotificationsConfig['webhooks'][number];
export { webhookEventTypeNames } from './config-schema.js';
