/**
 * What the one-run benchmarks (reconciliation, rebuild, ledger audit and maintenance) share: the
 * service's own config pointed at a database and Redis prefix of the benchmark's own, with the
 * health checker's timers off, and the loading done by a child process so the measuring process's
 * memory holds nothing of it.
 */
import { execFileSync } from 'node:child_process';
import { loadConfig, validateConfig } from '../src/config/load-config.js';
import type { Config } from '../src/config/config-types.js';

export interface BenchServiceOptions {
  /** The benchmark's database (created if missing) and Redis key prefix. */
  dbname: string;
  keyPrefix: string;
  /** `--workers` and `--chunk-rows` of the benchmarks that run the reconciliation workers. */
  workers?: string | undefined;
  chunkRows?: string | undefined;
}

export function benchServiceConfig(options: BenchServiceOptions): Config {
  const config = loadConfig();
  config.database.postgres.dbname = options.dbname;
  config.redis.key_prefix = options.keyPrefix;
  // No schedule and no Redis watcher: the one run measured is the one the benchmark starts.
  config.inventory.health_check.enable = false;
  if (options.workers !== undefined) config.inventory.health_check.workers = Number(options.workers);
  if (options.chunkRows !== undefined) config.inventory.health_check.chunk_rows = Number(options.chunkRows);
  config.logging.level = 'warn';
  return validateConfig(config);
}

/**
 * Runs this benchmark's own file again as a child with `args` and `--load-only`, waiting for it:
 * the child loads the data and exits, so its memory is gone before anything is measured.
 */
export function loadInChild(script: string, args: readonly string[]): void {
  execFileSync(process.execPath, [...process.execArgv, script, ...args, '--load-only'], { stdio: 'inherit' });
}
