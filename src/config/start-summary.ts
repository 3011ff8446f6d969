/**
 * The one start-up line: where the service listens, where its docs are, which config file it read,
 * and which database, Redis and engine it runs on — what a newcomer (or an operator reading a
 * crash loop) needs to know first. Passwords never appear: URLs are reduced to host, port and name.
 */
import type { Config } from './config-types.js';

export interface StartSummary {
  url: string;
  docs: string;
  config_file: string;
  database: string;
  redis: string;
  redis_mode: Config['redis']['mode'];
  engine: string;
  access_log: boolean;
}

/** `port` is the one the server got (it differs from the config's when that is 0). */
export function startSummary(config: Config, configFile: string, port: number): StartSummary {
  const host = config.server.host;
  // A wildcard address is not one a browser can open; loopback reaches the same listener.
  const reachable = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  const url = `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
  return {
    url,
    docs: `${url}/docs`,
    config_file: configFile,
    database: databaseLabel(config.database.postgres),
    redis: redisLabel(config.redis),
    redis_mode: config.redis.mode,
    engine: config.engine.mode === 'batched' ? `batched, ${config.engine.shards} shards` : 'naive (benchmark baseline)',
    access_log: config.logging.access,
  };
}

export function startMessage(summary: StartSummary): string {
  return `inventory service listening on ${summary.url} (docs ${summary.docs}); config ${summary.config_file}; ` +
    `database ${summary.database}; Redis ${summary.redis} (${summary.redis_mode} mode); engine ${summary.engine}`;
}

function databaseLabel(postgres: Config['database']['postgres']): string {
  if (postgres.url === undefined) return `${postgres.host}:${postgres.port}/${postgres.dbname}`;
  const url = new URL(postgres.url);
  const name = decodeURIComponent(url.pathname.slice(1)) || postgres.dbname;
  return `${url.hostname}:${url.port || 5432}/${name}`;
}

function redisLabel(redis: Config['redis']): string {
  if (redis.cluster.enable) return `cluster ${redis.cluster.nodes.join(',')}`;
  if (redis.url === undefined) return `${redis.host}:${redis.port}/${redis.db}`;
  const url = new URL(redis.url);
  return `${url.hostname}:${url.port || 6379}/${url.pathname.length > 1 ? url.pathname.slice(1) : redis.db}`;
}
