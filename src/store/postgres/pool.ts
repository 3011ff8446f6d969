/**
 * The PostgreSQL connection pools. Options that matter are passed explicitly rather than left to
 * library defaults: pool size, timeouts, and pipelining (the engine sends a flush's BEGIN,
 * statements and COMMIT in one round trip).
 */
import pg from 'pg';
import type { Config } from '../../config/config-types.js';
import * as limits from '../../limits.js';
import { installPgTypeParsers } from './pg-types.js';

export type PostgresConfig = Config['database']['postgres'];

export function connectionOptions(config: PostgresConfig, database = config.dbname): pg.ClientConfig {
  if (config.url) {
    const url = new URL(config.url);
    if (database !== config.dbname) url.pathname = `/${database}`;
    return { connectionString: url.toString() };
  }
  return { host: config.host, port: config.port, user: config.user, password: config.password || undefined, database };
}

/** The database a config points at, whether it came from DATABASE_URL or from dbname. */
export function databaseName(config: PostgresConfig): string {
  return config.url ? decodeURIComponent(new URL(config.url).pathname.slice(1)) || config.dbname : config.dbname;
}

export interface PoolOptions {
  max: number;
  applicationName: string;
  /** Pipelined connections: queries are written without waiting for the previous answer. */
  pipeline: boolean;
}

export function createPool(config: PostgresConfig, options: PoolOptions): pg.Pool {
  installPgTypeParsers();
  const pool = new pg.Pool({
    ...connectionOptions(config, databaseName(config)),
    max: options.max,
    connectionTimeoutMillis: config.connect_timeout_ms,
    idleTimeoutMillis: limits.pgIdleTimeoutMs,
    statement_timeout: config.statement_timeout_ms,
    application_name: options.applicationName,
    keepAlive: true,
    ...({ pipeline: options.pipeline } as object),
  });
  // An idle client losing its connection emits 'error' on the pool; without a listener that would
  // crash the process. The pool drops the client, and the next checkout connects afresh.
  pool.on('error', () => {});
  // A checked-out client whose connection dies emits 'error' too, and nobody listens then; the
  // failure already reaches its caller through the rejected queries, so the event is not needed.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}
