/**
 * What the flush statement's webhook CTE (`stock_events`, src/store/postgres/flush-statements.ts)
 * costs PostgreSQL: the engine's own statement sent back to back by one client on its own
 * database, alternating blocks without and with stock.* webhooks configured (the products never
 * cross a line, as in the seckill and uniform scenarios: the price is the check, not the rows).
 * Each statement is its own transaction (commit included). The minimum over blocks is the figure
 * least disturbed by other load on a shared machine. `npx tsx bench/flush-outbox-cost.ts`
 */
import pg from 'pg';
import { applyFlush } from '../src/store/postgres/flush-statements.js';
import { installPgTypeParsers } from '../src/store/postgres/pg-types.js';
import { ensureDatabase, migrate } from '../src/store/postgres/migrate.js';
import { loadConfig } from '../src/config/load-config.js';
import { noStockEvents } from '../src/domain/events.js';
installPgTypeParsers();
const base = loadConfig({}).database.postgres;
const postgres = { ...base, dbname: 'inv_bench_opsb_cte', url: undefined };
await ensureDatabase(postgres); await migrate(postgres);
const client = new pg.Client({ host: base.host, port: base.port, user: base.user, database: postgres.dbname });
await client.connect();
await client.query('TRUNCATE inventories CASCADE');
await client.query(`INSERT INTO inventories (product_id, stock) SELECT g, 1000000000 FROM generate_series(1, 10000) g`);
const hooks = { routes: { eventTypes: ['stock.low', 'stock.out', 'stock.back_in_stock'], urls: ['http://x/1', 'http://x/1', 'http://x/1'] }, lowStockThreshold: 10 } as never;
const versions = new Map<number, number>();
let key = 0;
async function block(events: unknown, perStatement: number, statements: number): Promise<number> {
  const started = performance.now();
  for (let s = 0; s < statements; s += 1) {
    const ids = Array.from({ length: perStatement }, (_, i) => 1 + ((key * perStatement + i) % 10000));
    const products = ids.map((productId) => ({ productId, baseVersion: versions.get(productId) ?? 1, netStock: -1, netReserved: 0, productName: null, status: null, minStock: null, maxStock: null }));
    const entries = ids.map((productId) => ({ productId, opType: 'deduct' as const, delta: -1, reservedDelta: 0, beforeStock: 0, afterStock: -1, orderId: `o${key}`, reason: null, operator: null, traceId: null, idemKey: `k${key}-${productId}`, reservation: null }));
    key += 1;
    const result = await client.query(applyFlush({ flushId: 1, products, entries, keys: entries.map((e) => ({ productId: e.productId, idemKey: e.idemKey, applies: true })), versionChecks: [] }, events as never));
    for (const row of result.rows as { kind: string; product_id: number; version: number }[]) if (row.kind === 'applied') versions.set(row.product_id, row.version);
  }
  return ((performance.now() - started) * 1000) / statements;
}
for (const per of [5, 40]) {
  const off: number[] = []; const on: number[] = [];
  for (let round = 0; round < 12; round += 1) { off.push(await block(noStockEvents, per, 150)); on.push(await block(hooks, per, 150)); }
  const min = (xs: number[]) => Math.min(...xs).toFixed(0); const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[6]!.toFixed(0);
  console.log(`${per} products/statement: µs per statement without webhooks min ${min(off)} median ${med(off)}; with min ${min(on)} median ${med(on)}`);
}
await client.end();
const admin = new pg.Client({ host: base.host, port: base.port, user: base.user, database: 'postgres' }); await admin.connect();
await admin.query('DROP DATABASE inv_bench_opsb_cte'); await admin.end();
