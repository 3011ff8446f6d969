/**
 * Benchmark (not a test): does ledger maintenance make syncs wait? `npx tsx
 * bench/ledger-maintenance-bench.ts [--seconds S] [--callers C] [--keys N] [--old-rows R]`.
 *
 * The service is built in this process on a fresh database. Set-up: a partition 100 days old
 * holding R log rows of 10,000 products (to be cut: checkpoints, detach, drop) and N idempotency
 * records 100 hours old (to be expired). Then C callers each submit keyed deltas (`idempotency_key`
 * of their own, products drawn uniformly from 10,000) to the engine in a closed loop, in three
 * phases: without maintenance (S seconds), during one maintenance cycle (until it ends, at least S
 * seconds), and without again (S seconds). Every phase records each sync's latency; a separate
 * connection samples pg_stat_activity every 20 ms for engine backends waiting on a heavyweight
 * lock (and on which relation). Results: bench/results/ledger-maintenance.json and .md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Config } from '../src/config/config-types.js';
import { benchServiceConfig } from './bench-service.js';
import type { Redis } from 'ioredis';
import { dropKeysWithPrefix } from '../test/helpers/test-env.js';
import type { MaintenanceReport } from '../src/ledger/ledger-maintenance.js';
import { intervalStart } from '../src/ledger/partition-plan.js';
import { createLogPartition } from '../src/store/postgres/partition-queries.js';
import { connectionOptions } from '../src/store/postgres/pool.js';
import { createServices, type Services } from '../src/services.js';
import { seededRandom } from '../test/helpers/seeded-random.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    callers: { type: 'string', default: '32' },
    keys: { type: 'string', default: '1000000' },
    'old-rows': { type: 'string', default: '1000000' },
  },
});
const phaseSeconds = Number(args.seconds);
const callers = Number(args.callers);
const expiredKeys = Number(args.keys);
const oldRows = Number(args['old-rows']);
const products = 10_000;
const dayMs = 86_400_000;
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

function benchConfig(): Config {
  return benchServiceConfig({ dbname: 'inv_bench_ledger_maintenance', keyPrefix: 'bench:ledger-maintenance:' });
}

/** Today's partitions from the service; the legacy one replaced by a partition 100 days old, full of rows. */
async function setUp(services: Services): Promise<void> {
  const pool = services.readPool;
  const startedMs = performance.now();
  await services.ledger.maintenance.runOnce();
  await pool.query('ALTER TABLE inventory_logs DETACH PARTITION inventory_logs_legacy');
  await pool.query('DROP TABLE inventory_logs_legacy');
  const client = await pool.connect();
  try {
    const today = intervalStart(new Date(), 'daily');
    await createLogPartition(client, { name: 'inventory_logs_p_today_bench', from: today, to: new Date(today.getTime() + dayMs) });
    const from = new Date(today.getTime() - 100 * dayMs);
    await createLogPartition(client, { name: 'inventory_logs_p_old_bench', from, to: new Date(from.getTime() + dayMs) });
  } finally {
    client.release();
  }
  await pool.query(`INSERT INTO inventories (product_id, product_name, stock) SELECT g, 'p' || g, 1000000000 FROM generate_series(1, $1::int) g`, [products]);
  const perProduct = Math.max(1, Math.floor(oldRows / products));
  await pool.query(`
    INSERT INTO inventory_logs (product_id, op_type, delta, before_stock, after_stock, order_id, created_at)
    SELECT p, 'deduct', -1, 2000000000 - k, 2000000000 - k - 1, 'old-' || p || '-' || k,
           date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '100 days' + k * interval '1 second'
      FROM generate_series(1, $2::int) k, generate_series(1, $1::int) p ORDER BY k, p`, [products, perProduct]);
  await pool.query(`
    INSERT INTO inventory_idempotency (product_id, idem_key, op_type, delta, log_id, before_stock, after_stock,
                                       stock, reserved, available, version, created_at)
    SELECT 1 + g % $2::int, 'k:expired-' || g, 'deduct', -1, g, 1, 0, 0, 0, 0, 1, now() - interval '100 hours' - g * interval '1 millisecond'
      FROM generate_series(1, $1::int) g`, [expiredKeys, products]);
  await pool.query('VACUUM ANALYZE inventory_logs');
  await pool.query('VACUUM ANALYZE inventory_idempotency');
  console.log(`set up ${perProduct * products} old log rows and ${expiredKeys} expired keys in ${((performance.now() - startedMs) / 1000).toFixed(1)} s`);
}

interface PhaseFigures {
  syncs: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  failures: number;
  lockWaitSamples: number;
  samples: number;
  lockWaits: Record<string, number>;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
const round = (value: number) => Math.round(value * 100) / 100;

/** Closed-loop keyed syncs until `until` resolves (and at least `minSeconds`), with lock sampling. */
async function phase(services: Services, config: Config, name: string, minSeconds: number, until: Promise<unknown>): Promise<PhaseFigures> {
  const latencies: number[] = [];
  let failures = 0;
  let done = false;
  const random = seededRandom(name.length * 7919);
  const sampler = new pg.Client(connectionOptions(config.database.postgres));
  await sampler.connect();
  let samples = 0;
  let lockWaitSamples = 0;
  const lockWaits: Record<string, number> = {};
  const sampling = (async () => {
    while (!done) {
      const { rows } = await sampler.query<{ relation: string | null; mode: string }>(`
        SELECT l.relation::regclass::text AS relation, l.mode FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE NOT l.granted AND a.datname = current_database() AND a.application_name = 'inventory-engine'`);
      samples += 1;
      if (rows.length > 0) lockWaitSamples += 1;
      for (const row of rows) lockWaits[`${row.relation ?? 'transaction'} ${row.mode}`] = (lockWaits[`${row.relation ?? 'transaction'} ${row.mode}`] ?? 0) + 1;
      await sleep(20);
    }
  })();
  const startedMs = performance.now();
  const minimum = sleep(minSeconds * 1000);
  void Promise.all([minimum, until]).then(() => { done = true; });
  await Promise.all(Array.from({ length: callers }, async (_, caller) => {
    for (let i = 0; !done; i += 1) {
      const productId = 1 + Math.floor(random() * products);
      const sentMs = performance.now();
      try {
        await services.engine.submit({
          kind: 'delta', opType: 'deduct', delta: -1, expectedVersion: null, idempotencyKey: `${name}-${caller}-${i}`,
          orderId: null, reason: null, operator: null, traceId: null, productId,
        });
        latencies.push(performance.now() - sentMs);
      } catch {
        failures += 1;
      }
    }
  }));
  const seconds = (performance.now() - startedMs) / 1000;
  await sampling;
  await sampler.end();
  latencies.sort((a, b) => a - b);
  return {
    syncs: latencies.length, seconds: round(seconds), perSecond: Math.round(latencies.length / seconds),
    p50Ms: round(percentile(latencies, 0.5)), p99Ms: round(percentile(latencies, 0.99)), p999Ms: round(percentile(latencies, 0.999)),
    maxMs: round(latencies.at(-1) ?? 0), failures, samples, lockWaitSamples, lockWaits,
  };
}

async function main(): Promise<void> {
  const config = benchConfig();
  const admin = new pg.Client(connectionOptions(config.database.postgres, 'postgres'));
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(config.database.postgres.dbname)} WITH (FORCE)`);
  const services = await createServices(config);
  try {
    await setUp(services);
    const before = await phase(services, config, 'before', phaseSeconds, Promise.resolve());
    let report: MaintenanceReport | null = null;
    const cycleStartedMs = performance.now();
    const cycle = services.ledger.maintenance.runOnce().then((answer) => { report = answer; });
    const during = await phase(services, config, 'during', phaseSeconds, cycle);
    const cycleSeconds = (performance.now() - cycleStartedMs) / 1000;
    const after = await phase(services, config, 'after', phaseSeconds, Promise.resolve());
    const finished = report as MaintenanceReport | null;
    if (finished === null || finished.failures.length > 0) throw new Error(`the cycle did not complete: ${JSON.stringify(finished)}`);
    const result = {
      phases: { before, during, after },
      maintenance: {
        seconds: round(cycleSeconds), partitions_dropped: finished.partitionsDropped, checkpoints_written: finished.checkpointsWritten,
        keys_expired: finished.keysExpired,
      },
      conditions: {
        callers, products, old_rows: oldRows, expired_keys: expiredKeys, engine_shards: config.engine.shards,
        node: process.version, cpus: availableParallelism(), cpu_model: cpus()[0]?.model ?? 'unknown',
        load_average: loadavg().map((value) => Math.round(value * 10) / 10), date: new Date().toISOString(),
      },
    };
    writeResults(result);
  } finally {
    // The syncs wrote their products' keys under the benchmark's prefix: they go with its database.
    await dropKeysWithPrefix(services.redis as Redis, config.redis.key_prefix).catch(() => {});
    await services.close();
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(config.database.postgres.dbname)} WITH (FORCE)`);
    await admin.end();
  }
}

function writeResults(result: { phases: Record<string, PhaseFigures>; maintenance: Record<string, unknown>; conditions: Record<string, unknown> }): void {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'ledger-maintenance.json'), `${JSON.stringify(result, null, 2)}\n`);
  const line = (name: string, f: PhaseFigures) =>
    `| ${name} | ${f.seconds} | ${f.syncs} | ${f.perSecond} | ${f.p50Ms} | ${f.p99Ms} | ${f.p999Ms} | ${f.maxMs} | ${f.failures} | ` +
    `${f.lockWaitSamples} of ${f.samples} | ${Object.entries(f.lockWaits).map(([what, n]) => `${what}: ${n}`).join(', ') || '–'} |`;
  writeFileSync(join(resultsDir, 'ledger-maintenance.md'), [
    '# Syncs during ledger maintenance', '',
    `${result.conditions.callers} callers submitting keyed deltas to the engine over ${result.conditions.products} products; ` +
    `the cycle cut a partition of ${result.conditions.old_rows} rows (${result.maintenance.checkpoints_written} checkpoints) ` +
    `and expired ${result.maintenance.keys_expired} keys in ${result.maintenance.seconds} s. Measured ${result.conditions.date}, ` +
    `load average ${JSON.stringify(result.conditions.load_average)}.`, '',
    '| phase | seconds | syncs | syncs/s | p50 ms | p99 ms | p99.9 ms | max ms | failures | samples with an engine backend waiting on a lock | waits seen |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    line('before', result.phases.before!), line('during maintenance', result.phases.during!), line('after', result.phases.after!), '',
    'Written by `bench/ledger-maintenance-bench.ts`.', '',
  ].join('\n'));
  console.log(JSON.stringify(result, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
