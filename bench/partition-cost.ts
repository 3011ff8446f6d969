/**
 * Does the time-partitioned ledger slow the hot path? (issue 14; not a test) `npx tsx
 * bench/partition-cost.ts [--rounds N] [--seconds S]`.
 *
 * The engine's own flush statement (bench/floor.ts: two clients, 40 products per statement, keyed
 * deltas with their log rows and idempotency records) on two fresh databases that differ in one
 * thing: `inventory_logs` as migrated (partitioned by time, migrations/006_1) or a plain table with
 * the same columns, indexes and defaults. The two take turns, `--rounds` times, so load from
 * elsewhere on the machine falls on both. Results: bench/results/partition-cost.json and .md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { measureFloor, type FloorResult } from './floor.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '5' } } });
const rounds = Number(args.rounds);
const seconds = Number(args.seconds);
const products = 10_000;

/** Same columns, defaults, constraints and indexes; not partitioned. */
async function plainLogTable(client: pg.Client): Promise<void> {
  await client.query(`ALTER TABLE inventory_logs RENAME TO inventory_logs_partitioned`);
  await client.query(`CREATE TABLE inventory_logs (LIKE inventory_logs_partitioned INCLUDING ALL)`);
}

const figures: Record<'partitioned' | 'plain', FloorResult[]> = { partitioned: [], plain: [] };
const run = Date.now().toString(36);
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? (['partitioned', 'plain'] as const) : (['plain', 'partitioned'] as const);
  for (const kind of order) {
    const result = await measureFloor(`${run}_${kind}_${round}`, products, seconds, kind === 'plain' ? plainLogTable : undefined);
    figures[kind].push(result);
    console.log(`round ${round + 1} ${kind}: ${result.deltasPerSecond} deltas/s (load average ${loadavg()[0]!.toFixed(2)})`);
  }
}
const rate = (results: FloorResult[]) => Math.round(results.reduce((sum, r) => sum + r.deltasPerSecond, 0) / results.length);
const summary = {
  rounds, seconds, products, productsPerStatement: 40, clients: 2,
  partitionedDeltasPerSecond: rate(figures.partitioned), plainDeltasPerSecond: rate(figures.plain),
  ratio: Number((rate(figures.partitioned) / rate(figures.plain)).toFixed(3)), figures,
};
const dir = join(fileURLToPath(new URL('.', import.meta.url)), 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'partition-cost.json'), `${JSON.stringify(summary, null, 2)}\n`);
writeFileSync(join(dir, 'partition-cost.md'),
  `| log table | deltas/s (mean of ${rounds} rounds × ${seconds} s) | per round |\n|---|---|---|\n` +
  `| partitioned (as shipped) | ${summary.partitionedDeltasPerSecond} | ${figures.partitioned.map((r) => r.deltasPerSecond).join(', ')} |\n` +
  `| plain | ${summary.plainDeltasPerSecond} | ${figures.plain.map((r) => r.deltasPerSecond).join(', ')} |\n\n` +
  `partitioned / plain: ${summary.ratio}\n`);
console.log(`partitioned ${summary.partitionedDeltasPerSecond} deltas/s, plain ${summary.plainDeltasPerSecond}, ratio ${summary.ratio}`);
