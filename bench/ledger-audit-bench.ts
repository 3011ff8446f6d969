/**
 * Benchmark of one full ledger audit (not a test): `npx tsx bench/ledger-audit-bench.ts
 * [--products N] [--rows-per-product R] [--keep] [--reuse]`. Defaults: 1,000,000 products with 10
 * log rows each (10M rows). `--keep` leaves the data in place, a later `--reuse` measures again.
 *
 * A child process loads the data (INSERT … SELECT FROM generate_series: per product an `init`, a
 * reserve and its release, and deductions, every chain whole; rows spread over five daily
 * partitions, ids interleaved across products as live traffic writes them), so this process's
 * memory holds nothing of the loading. This process then builds the service, runs one audit
 * (POST /api/v1/ledger/audits does the same) and samples its RSS every 10 ms (the worker threads
 * live in this process, so their memory is in it). Results: bench/results/ledger-audit-<N>.json
 * and .md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Config } from '../src/config/config-types.js';
import { benchServiceConfig, loadInChild } from './bench-service.js';
import * as limits from '../src/limits.js';
import { connectionOptions } from '../src/store/postgres/pool.js';
import { createServices, type Services } from '../src/services.js';

const { values: args } = parseArgs({
  options: {
    products: { type: 'string', default: '1000000' },
    'rows-per-product': { type: 'string', default: '10' },
    'load-only': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
  },
});
const products = Number(args.products);
const rowsPerProduct = Number(args['rows-per-product']);
if (!Number.isSafeInteger(products) || products < 1) throw new Error('--products must be a positive integer');
if (!Number.isSafeInteger(rowsPerProduct) || rowsPerProduct < 3) throw new Error('--rows-per-product must be at least 3');
const initialStock = 1_000_000;
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

function benchConfig(): Config {
  return benchServiceConfig({ dbname: 'inv_bench_ledger_audit', keyPrefix: 'bench:ledger-audit:' });
}

/**
 * Runs in the child. Row k of a product (k = 0 … R−1): 0 is `init`, 1 a reserve of 2, 2 its
 * release, the rest deductions of 1; row k is written on day ⌊k·5/R⌋ from today (partitions exist
 * a week ahead). Inserted in (k, product) order so ids interleave across products.
 */
async function load(services: Services): Promise<void> {
  const startedMs = performance.now();
  await services.ledger.maintenance.runOnce();
  // Loading 10M rows in one statement takes minutes, far beyond the service's statement bound:
  // the load runs on a connection of its own without it.
  const db = await services.readPool.connect();
  await db.query('SET statement_timeout = 0');
  try {
    await db.query('TRUNCATE inventories, inventory_logs, inventory_checkpoints, ledger_audit_runs, ledger_audit_findings');
    const deductions = rowsPerProduct - 3;
    await db.query(
      `INSERT INTO inventories (product_id, product_name, stock, version)
       SELECT g, 'p' || g, $2::bigint - $3::bigint, $4 FROM generate_series(1, $1::bigint) g`,
      [products, initialStock, deductions, rowsPerProduct]);
    await db.query(`
      INSERT INTO inventory_logs (product_id, op_type, delta, reserved_delta, before_stock, after_stock, order_id, created_at)
      SELECT p,
             CASE k WHEN 0 THEN 'init' WHEN 1 THEN 'reserve' WHEN 2 THEN 'release' ELSE 'deduct' END,
             CASE k WHEN 0 THEN $2::bigint WHEN 1 THEN 0 WHEN 2 THEN 0 ELSE -1 END,
             CASE k WHEN 1 THEN 2 WHEN 2 THEN -2 ELSE 0 END,
             CASE WHEN k = 0 THEN 0 ELSE $2::bigint - greatest(k - 3, 0) END,
             CASE WHEN k = 0 THEN $2::bigint ELSE $2::bigint - greatest(k - 2, 0) END,
             CASE WHEN k IN (1, 2) THEN 'order-' || p END,
             date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + (k * 5 / $3::int) * interval '1 day' + interval '1 hour'
        FROM generate_series(0, $3::int - 1) k, generate_series(1, $1::bigint) p
       ORDER BY k, p`,
    [products, initialStock, rowsPerProduct]);
    await db.query('VACUUM ANALYZE inventories');
    await db.query('VACUUM ANALYZE inventory_logs');
  } finally {
    db.release();
  }
  console.log(`loaded ${products} products, ${products * rowsPerProduct} log rows in ${((performance.now() - startedMs) / 1000).toFixed(1)} s`);
}

async function measure(services: Services) {
  const baselineRssBytes = process.memoryUsage.rss();
  let peakRssBytes = baselineRssBytes;
  const sampler = setInterval(() => { peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss()); }, 10);
  const startedMs = performance.now();
  const cpuBefore = process.cpuUsage();
  const started = await services.ledger.audits.start();
  let report = await services.ledger.audits.report(started.runId);
  // Bounded by the run itself; the deadline only guards a hung benchmark.
  const deadline = Date.now() + 1_800_000;
  while (report?.status === 'running' && Date.now() < deadline) {
    await sleep(20);
    report = await services.ledger.audits.report(started.runId);
  }
  const seconds = (performance.now() - startedMs) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
  if (report === null || report.status !== 'completed') throw new Error(`the audit did not complete: ${JSON.stringify(report)}`);
  if (report.products !== products || report.rows_scanned !== products * rowsPerProduct || report.disagreements !== 0) {
    throw new Error(`the audit saw ${report.products} products, ${report.rows_scanned} rows, ${report.disagreements} disagreements`);
  }
  return { report, seconds, baselineRssBytes, peakRssBytes, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

async function dropBenchData(config: Config, services: Services): Promise<void> {
  await services.close();
  const admin = new pg.Client(connectionOptions(config.database.postgres, 'postgres'));
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(config.database.postgres.dbname)} WITH (FORCE)`);
  await admin.end();
}

function writeResults(figures: Awaited<ReturnType<typeof measure>>): void {
  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
  const rows = figures.report.rows_scanned;
  const result = {
    products,
    log_rows: rows,
    disagreements: figures.report.disagreements,
    seconds: Math.round(figures.seconds * 1000) / 1000,
    rows_per_second: Math.round(rows / figures.seconds),
    peak_rss_mb: mb(figures.peakRssBytes),
    /** RSS of the service before the run (no worker thread yet). */
    baseline_rss_mb: mb(figures.baselineRssBytes),
    /** CPU time of this process (main thread and workers) during the run; PostgreSQL's is not included. */
    process_cpu_seconds: Math.round(figures.cpuSeconds * 100) / 100,
    data: args.reuse ? 'reused' : 'loaded',
    conditions: {
      worker_threads: limits.auditWorkerThreads, spans: limits.auditQueueMax, chunk_products: limits.auditChunkProducts,
      cursor_rows: limits.auditCursorRows, partitions_holding_rows: 5,
      runtime: 'tsx (workers load TypeScript through tsx)', node: process.version, cpus: availableParallelism(),
      cpu_model: cpus()[0]?.model ?? 'unknown', date: new Date().toISOString(),
    },
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `ledger-audit-${products}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(resultsDir, `ledger-audit-${products}.md`), [
    `# Full ledger audit of ${products.toLocaleString('en-US')} products, ${rows.toLocaleString('en-US')} log rows`, '',
    `One run (${result.conditions.worker_threads} worker threads, ${result.conditions.spans} spans, chunks of ` +
    `${result.conditions.chunk_products} products, cursor batches of ${result.conditions.cursor_rows} rows, rows in 5 daily partitions), ` +
    `measured ${result.conditions.date} on ${result.conditions.cpus} CPUs (${result.conditions.cpu_model}), Node ${process.version}, under tsx.`, '',
    '| products | log rows | seconds | rows/s | peak RSS (process, workers included) | process CPU s |', '|---|---|---|---|---|---|',
    `| ${products} | ${rows} | ${result.seconds} | ${result.rows_per_second.toLocaleString('en-US')} | ${result.peak_rss_mb} MB | ${result.process_cpu_seconds} |`, '',
    'Written by `bench/ledger-audit-bench.ts`.', '',
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
  const passOn = ['--products', String(products), '--rows-per-product', String(rowsPerProduct)];
  if (!args.reuse) loadInChild(fileURLToPath(import.meta.url), passOn);
  const figures = await measure(services);
  writeResults(figures);
  if (args.keep) await services.close();
  else await dropBenchData(config, services);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
