/**
 * The Redis client: one ioredis connection (or an ioredis Cluster) with explicit timeouts and no
 * offline queue, so a Redis outage fails a command at once instead of queueing it in memory and
 * slowing the sync path. Commands issued in the same tick share one round trip (auto-pipelining).
 */
import { Redis, Cluster, type RedisOptions } from 'ioredis';
import type { Config } from '../../config/config-types.js';
import * as limits from '../../limits.js';
import { settledWithin, withTimeout } from '../../timeout.js';

export type RedisClient = Redis | Cluster;
export type RedisConfig = Config['redis'];

export function redisOptions(config: RedisConfig): RedisOptions {
  const fromUrl = config.url ? new URL(config.url) : null;
  return {
    host: fromUrl?.hostname || config.host,
    port: fromUrl?.port ? Number(fromUrl.port) : config.port,
    password: (fromUrl?.password ? decodeURIComponent(fromUrl.password) : config.password) || undefined,
    db: fromUrl && fromUrl.pathname.length > 1 ? Number(fromUrl.pathname.slice(1)) : config.db,
    connectTimeout: limits.redisConnectTimeoutMs(config.command_timeout_ms),
    commandTimeout: config.command_timeout_ms,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    lazyConnect: true,
    retryStrategy: reconnectDelayMs,
  };
}

/** Script commands defined with a variable number of keys (see `stock-cache.ts`). */
export const clusterScriptCommands = ['setStocksIfNotOlder', 'setStocksIfMissing', 'incrementStocks'];

/** Pause before reconnection attempt `attempt` (1, 2, …): growing, capped. */
function reconnectDelayMs(attempt: number): number {
  return Math.min(attempt * limits.redisReconnectStepMs, limits.redisReconnectDelayMaxMs);
}

export function createRedisClient(config: RedisConfig, connectionName: string): RedisClient {
  const options = { ...redisOptions(config), connectionName };
  const client: RedisClient = config.cluster.enable
    ? new Cluster(config.cluster.nodes.map((node) => {
        const [host, port] = node.split(':');
        return { host: host!, port: Number(port) };
      }), {
        redisOptions: options,
        enableOfflineQueue: false,
        enableAutoPipelining: true,
        // ioredis groups auto-pipelined commands by the slot of their first string argument and
        // then refuses a pipeline whose commands' keys map to different nodes' slot groups: the
        // multi-key stock scripts (one call per slot already) are sent on their own.
        autoPipeliningIgnoredCommands: clusterScriptCommands,
        lazyConnect: true,
        clusterRetryStrategy: reconnectDelayMs,
      })
    : new Redis(options);
  // Errors surface on the commands that fail; the event would otherwise be an unhandled 'error'.
  client.on('error', () => {});
  return client;
}

/**
 * Connects, waiting at most `timeoutMs`. A Redis that is down at start is not fatal (Redis is a
 * cache): the client keeps reconnecting in the background and the health check says "degraded".
 */
export function connectRedis(client: RedisClient, timeoutMs: number): Promise<boolean> {
  return withTimeout(client.connect().then(() => true, () => false), timeoutMs, false);
}

export function isRedisReady(client: RedisClient): boolean {
  return client.status === 'ready';
}

/** QUIT (replies to commands already sent still arrive), bounded: a Redis that is down is dropped. */
export async function closeRedis(client: RedisClient, timeoutMs: number): Promise<void> {
  await settledWithin(client.quit(), timeoutMs);
  client.disconnect();
}
