/**
 * Benchmark of one rebuild of Redis from PostgreSQL (not a test): `npx tsx bench/rebuild-bench.ts
 * [--products N] [--workers W] [--chunk-rows R] [--keep] [--reuse]`, beside reconcile-bench.ts.
 *
 * A child process loads N active products (one INSERT … SELECT FROM generate_series, versions 1–5)
 * and nothing into Redis: the measured rebuild starts from an empty prefix, as after a Redis
 * restart. This process then builds the service, runs one rebuild (POST /health/rebuild's path)
 * and samples its RSS every 10 ms (worker threads included: they live in this process). It checks
 * a sample of keys against their rows, then deletes the keys and the database (unless --keep).
 * Results: bench/results/rebuild-<N>.json and .md. Target: 1M products ≤ 3 s, memory flat.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { Config } from '../src/config/config-types.js';
import { benchServiceConfig, loadInChild } from './bench-service.js';
import { connectionOptions } from '../src/store/postgres/pool.js';
import { createServices, type Services } from '../src/services.js';
import { dropKeysWithPrefix } from '../test/helpers/test-env.js';

const { values: args } = parseArgs({
  options: {
    products: { type: 'string', default: '1000000' },
    workers: { type: 'string' },
    'chunk-rows': { type: 'string' },
    'load-only': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
  },
});
const products = Number(args.products);
if (!Number.isSafeInteger(products) || products < 1) throw new Error('--products must be a positive integer');
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const checkedKeys = 10_000;

function benchConfig(): Config {
  return benchServiceConfig({ dbname: 'inv_bench_rebuild', keyPrefix: 'bench:rebuild:', workers: args.workers, chunkRows: args['chunk-rows'] });
}

/** Runs in the child: products 1..N, stock 1000 + id % 7, versions 1 to 5; Redis left empty. */
async function load(services: Services): Promise<void> {
  const startedMs = performance.now();
  await services.readPool.query('TRUNCATE inventories, inventory_logs, inventory_diffs, inventory_alerts, reconcile_runs');
  await services.readPool.query(
    `INSERT INTO inventories (product_id, product_name, stock, version)
     SELECT g, 'p' || g, 1000 + g % 7, 1 + g % 5 FROM generate_series(1, $1::bigint) g`, [products]);
  await services.readPool.query('VACUUM ANALYZE inventories');
  await dropKeysWithPrefix(services.redis as Redis, services.config.redis.key_prefix);
  console.log(`loaded ${products} products in ${((performance.now() - startedMs) / 1000).toFixed(1)} s; Redis prefix empty`);
}

/** Seconds of CPU the Redis server has used so far (user + system), from INFO. */
async function redisCpuSeconds(services: Services): Promise<number> {
  const info = await services.redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? Number.NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}

async function measure(services: Services) {
  const redisCpuBefore = await redisCpuSeconds(services);
  const baselineRssBytes = process.memoryUsage.rss();
  let peakRssBytes = baselineRssBytes;
  const sampler = setInterval(() => { peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss()); }, 10);
  const startedMs = performance.now();
  const cpuBefore = process.cpuUsage();
  const started = await services.reconciler.rebuild('manual');
  const report = await services.reconciler.report(started.runId, 600_000);
  const seconds = (performance.now() - startedMs) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
  if (report === null || report.status !== 'completed') throw new Error(`the rebuild did not complete: ${JSON.stringify(report)}`);
  const redisCpu = (await redisCpuSeconds(services)) - redisCpuBefore;
  return { report, seconds, baselineRssBytes, peakRssBytes, cpuSeconds: (cpu.user + cpu.system) / 1e6, redisCpu };
}

/** Spread over the id range: each product's keys must hold its row's available and version. */
async function checkSample(services: Services): Promise<number> {
  const step = Math.max(1, Math.floor(products / checkedKeys));
  const ids = Array.from({ length: Math.min(checkedKeys, products) }, (_, index) => 1 + index * step);
  const rows = await services.readPool.query<{ product_id: number; available: number; version: number }>(
    'SELECT product_id, available, version FROM inventories WHERE product_id = ANY($1::bigint[]) ORDER BY product_id', [ids]);
  const stocks = await services.redis.mget(rows.rows.map((row) => services.keys.stock(row.product_id)));
  const versions = await services.redis.mget(rows.rows.map((row) => services.keys.version(row.product_id)));
  const wrong = rows.rows.filter((row, index) => stocks[index] !== String(row.available) || versions[index] !== String(row.version));
  if (wrong.length > 0) throw new Error(`${wrong.length} of ${rows.rows.length} sampled keys differ from their rows, e.g. ${JSON.stringify(wrong[0])}`);
  return rows.rows.length;
}

async function dropBenchData(config: Config, services: Services): Promise<void> {
  await dropKeysWithPrefix(services.redis as Redis, config.redis.key_prefix);
  await services.close();
  const admin = new pg.Client(connectionOptions(config.database.postgres, 'postgres'));
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(config.database.postgres.dbname)} WITH (FORCE)`);
  await admin.end();
}

function writeResults(config: Config, figures: Awaited<ReturnType<typeof measure>>, checked: number): void {
  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
  const { report } = figures;
  const result = {
    products,
    rows: report.scanned,
    keys_written: report.keys_written,
    keys_skipped: report.keys_skipped,
    seconds: Math.round(figures.seconds * 1000) / 1000,
    rows_per_second: Math.round(report.scanned / figures.seconds),
    peak_rss_mb: mb(figures.peakRssBytes),
    /** RSS of the service before the rebuild (no worker thread yet). */
    baseline_rss_mb: mb(figures.baselineRssBytes),
    /** CPU time of this process (main thread and workers); PostgreSQL and Redis not included. */
    process_cpu_seconds: Math.round(figures.cpuSeconds * 100) / 100,
    /** CPU time of the Redis server during the rebuild (the whole server: other clients included). */
    redis_cpu_seconds: Math.round(figures.redisCpu * 100) / 100,
    sampled_keys_checked: checked,
    data: args.reuse ? 'reused' : 'loaded',
    targets: { seconds_max_for_1m: 3 },
    conditions: {
      workers: config.inventory.health_check.workers, chunk_rows: config.inventory.health_check.chunk_rows,
      runtime: 'tsx (workers load TypeScript through tsx)', node: process.version, cpus: availableParallelism(),
      cpu_model: cpus()[0]?.model ?? 'unknown', date: new Date().toISOString(),
    },
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `rebuild-${products}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(resultsDir, `rebuild-${products}.md`), [
    `# Rebuild of ${products.toLocaleString('en-US')} products into an empty Redis`, '',
    `One rebuild (cursor + version-guarded script in ${result.conditions.workers} worker threads, chunks of ` +
    `${result.conditions.chunk_rows} rows), measured ${result.conditions.date} on ${result.conditions.cpus} CPUs ` +
    `(${result.conditions.cpu_model}), Node ${process.version}, under tsx.`, '',
    '| products | seconds | rows/s | keys written | peak RSS (process, workers included) | process CPU s | Redis CPU s |',
    '|---|---|---|---|---|---|---|',
    `| ${products} | ${result.seconds} | ${result.rows_per_second.toLocaleString('en-US')} | ${result.keys_written} | ` +
    `${result.peak_rss_mb} MB | ${result.process_cpu_seconds} | ${result.redis_cpu_seconds} |`, '',
    `Target: 1M products ≤ 3 s. ${checked} keys spread over the range checked against their rows. Written by \`bench/rebuild-bench.ts\`.`, '',
  ].join('\n'));
  console.log(JSON.stringify(result, null, 2));
}

async function main(): Promise<void> {
  const config = benchConfig();
  const services = await createServices(config);
  if (args['load-only']) {
    await load(services);
    await services.close();
    return;
  }
  const passOn = ['--products', String(products)];
  if (!args.reuse) loadInChild(fileURLToPath(import.meta.url), passOn);
  else await dropKeysWithPrefix(services.redis as Redis, config.redis.key_prefix);
  const figures = await measure(services);
  const checked = await checkSample(services);
  writeResults(config, figures, checked);
  if (args.keep) await services.close();
  else await dropBenchData(config, services);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
