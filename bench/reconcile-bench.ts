/**
 * Benchmark of one full reconciliation run (not a test): `npx tsx bench/reconcile-bench.ts
 * [--products N] [--workers W] [--chunk-rows R] [--keep] [--reuse]`. `--keep` leaves the data in place,
 * and a later `--reuse` (same N) measures again without loading.
 *
 * A child process loads N products (one INSERT … SELECT FROM generate_series) and writes their
 * Redis keys by pipeline, so this process's memory holds nothing of the loading. This process then
 * builds the service, runs one reconciliation and samples its RSS every 10 ms (the RSS covers the
 * worker threads too: they live in this process). Results: bench/results/reconcile-<N>.json and
 * .md. Targets: 1M products ≤ 3 s with peak RSS ≤ 256 MB; 3M within 3.5 × the 1M time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Config } from '../src/config/config-types.js';
import { benchServiceConfig, loadInChild } from './bench-service.js';
import { connectionOptions } from '../src/store/postgres/pool.js';
import { createServices, type Services } from '../src/services.js';

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
const stock = 1000;
const keyBatchRows = 20_000;
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

function benchConfig(): Config {
  return benchServiceConfig({ dbname: 'inv_bench_reconcile', keyPrefix: 'bench:reconcile:', workers: args.workers, chunkRows: args['chunk-rows'] });
}

/** Runs in the child: products 1..N with stock 1000 (above the low-stock threshold), Redis in step. */
async function load(services: Services): Promise<void> {
  const startedMs = performance.now();
  await services.readPool.query('TRUNCATE inventories, inventory_logs, inventory_diffs, inventory_alerts, reconcile_runs');
  await services.readPool.query(
    `INSERT INTO inventories (product_id, product_name, stock) SELECT g, 'p' || g, $2 FROM generate_series(1, $1::bigint) g`,
    [products, stock]);
  await services.readPool.query('VACUUM ANALYZE inventories');
  const loadedDbMs = performance.now();
  for (let first = 1; first <= products; first += keyBatchRows) {
    const pipeline = services.redis.pipeline();
    for (let id = first; id < Math.min(products + 1, first + keyBatchRows); id += 1) {
      pipeline.set(services.keys.stock(id), String(stock));
      pipeline.set(services.keys.version(id), '1');
    }
    await pipeline.exec();
  }
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  console.log(`loaded ${products} products: PostgreSQL ${seconds(loadedDbMs - startedMs)} s, Redis ${seconds(performance.now() - loadedDbMs)} s`);
}

async function measure(services: Services) {
  const baselineRssBytes = process.memoryUsage.rss();
  let peakRssBytes = baselineRssBytes;
  const sampler = setInterval(() => { peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss()); }, 10);
  const startedMs = performance.now();
  const cpuBefore = process.cpuUsage();
  const started = await services.reconciler.start('manual');
  const report = await services.reconciler.report(started.runId, 600_000);
  const seconds = (performance.now() - startedMs) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
  if (report === null || report.status !== 'completed') throw new Error(`the run did not complete: ${JSON.stringify(report)}`);
  return { report, seconds, baselineRssBytes, peakRssBytes, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

async function dropBenchData(config: Config, services: Services): Promise<void> {
  for (let first = 1; first <= products; first += keyBatchRows) {
    const pipeline = services.redis.pipeline();
    for (let id = first; id < Math.min(products + 1, first + keyBatchRows); id += 1) {
      pipeline.unlink(services.keys.stock(id), services.keys.version(id));
    }
    await pipeline.exec();
  }
  await services.close();
  const admin = new pg.Client(connectionOptions(config.database.postgres, 'postgres'));
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(config.database.postgres.dbname)} WITH (FORCE)`);
  await admin.end();
}

function writeResults(config: Config, figures: Awaited<ReturnType<typeof measure>>): void {
  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
  const result = {
    products,
    scanned: figures.report.scanned,
    diffs_found: figures.report.diffs_found,
    seconds: Math.round(figures.seconds * 1000) / 1000,
    rows_per_second: Math.round(figures.report.scanned / figures.seconds),
    peak_rss_mb: mb(figures.peakRssBytes),
    /** RSS of the service before the run (no worker thread yet). */
    baseline_rss_mb: mb(figures.baselineRssBytes),
    /** CPU time of this process (main thread and workers) during the run; PostgreSQL and Redis not included. */
    process_cpu_seconds: Math.round(figures.cpuSeconds * 100) / 100,
    /** `reused`: measured on data a previous `--keep` run left (no load just before). */
    data: args.reuse ? 'reused' : 'loaded',
    targets: { seconds_max_for_1m: 3, peak_rss_mb_max: 256, time_3m_over_1m_max: 3.5 },
    conditions: {
      workers: config.inventory.health_check.workers, chunk_rows: config.inventory.health_check.chunk_rows,
      runtime: 'tsx (workers load TypeScript through tsx)', node: process.version, cpus: availableParallelism(),
      cpu_model: cpus()[0]?.model ?? 'unknown', date: new Date().toISOString(),
    },
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `reconcile-${products}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(resultsDir, `reconcile-${products}.md`), [
    `# Reconciliation of ${products.toLocaleString('en-US')} products`, '',
    `One full run (cursor + MGET in ${result.conditions.workers} worker threads, chunks of ${result.conditions.chunk_rows} rows), ` +
    `measured ${result.conditions.date} on ${result.conditions.cpus} CPUs (${result.conditions.cpu_model}), Node ${process.version}, under tsx.`, '',
    '| products | seconds | rows/s | peak RSS (process, workers included) | process CPU s | diffs |', '|---|---|---|---|---|---|',
    `| ${products} | ${result.seconds} | ${result.rows_per_second.toLocaleString('en-US')} | ${result.peak_rss_mb} MB | ` +
    `${result.process_cpu_seconds} | ${result.diffs_found} |`, '',
    'Targets: 1M products ≤ 3 s, peak RSS ≤ 256 MB; 3M within 3.5 × the 1M time. Written by `bench/reconcile-bench.ts`.', '',
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
  const passOn = ['--products', String(products), ...(args.workers ? ['--workers', args.workers] : [])];
  if (!args.reuse) loadInChild(fileURLToPath(import.meta.url), passOn);
  const figures = await measure(services);
  writeResults(config, figures);
  if (args.keep) await services.close();
  else await dropBenchData(config, services);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
