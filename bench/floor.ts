/**
 * The set-based PostgreSQL floor of the batch scenario, measured in the same run: the engine's own
 * flush statement (`applyFlush`, src/store/postgres/flush-statements.ts) sent back to back by two
 * clients on their own database, each statement applying 40 distinct products with one keyed
 * delta each (their versioned updates, log rows and idempotency records). No HTTP, no actors, no
 * planning: what PostgreSQL alone does with that statement on this machine. Each client owns every
 * other product, so the versions it guards on are always current and every statement applies.
 */
import pg from 'pg';
import type { LogEntry } from '../src/domain/log-entry.js';
import { applyFlush, type ProductWrite } from '../src/store/postgres/flush-statements.js';
import { installPgTypeParsers } from '../src/store/postgres/pg-types.js';
import { migrate, ensureDatabase } from '../src/store/postgres/migrate.js';
import { loadConfig } from '../src/config/load-config.js';
import { seededRandom } from '../test/helpers/seeded-random.js';

export interface FloorResult {
  deltasPerSecond: number;
  statementsPerSecond: number;
  clients: number;
  productsPerStatement: number;
  seconds: number;
}

const clients = 2;
const productsPerStatement = 40;

/**
 * `prepare` runs on the fresh database before the load (bench/partition-cost.ts uses it to put a
 * plain, unpartitioned log table in place of the partitioned one).
 */
export async function measureFloor(
  runTag: string, products: number, seconds: number, prepare?: (client: pg.Client) => Promise<void>,
): Promise<FloorResult> {
  installPgTypeParsers();
  const name = `inv_bench_${runTag}_floor`;
  const base = loadConfig({}).database.postgres;
  const postgres = { ...base, dbname: name, url: undefined };
  await ensureDatabase(postgres);
  await migrate(postgres);
  const connection = { host: base.host, port: base.port, user: base.user, database: name };
  const setup = new pg.Client(connection);
  await setup.connect();
  try {
    if (prepare !== undefined) await prepare(setup);
    await setup.query(`INSERT INTO inventories (product_id, stock) SELECT g, 1000000000 FROM generate_series(1, $1::int) g`, [products]);
    const versions = new Map<number, number>();
    let statements = 0;
    const stopAt = performance.now() + seconds * 1000;
    const started = performance.now();
    await Promise.all(Array.from({ length: clients }, async (_, clientIndex) => {
      const client = new pg.Client(connection);
      await client.connect();
      const random = seededRandom(0xf100 + clientIndex);
      const owned = Array.from({ length: Math.floor(products / clients) }, (_, i) => 1 + clientIndex + i * clients);
      let key = 0;
      try {
        while (performance.now() < stopAt) {
          const chosen = new Set<number>();
          while (chosen.size < productsPerStatement) chosen.add(owned[Math.floor(random() * owned.length)]!);
          const ids = [...chosen].sort((a, b) => a - b);
          const writes: ProductWrite[] = ids.map((productId) => ({
            productId, baseVersion: versions.get(productId) ?? 1, netStock: -1, netReserved: 0,
            productName: null, status: null, minStock: null, maxStock: null,
          }));
          const entries: LogEntry[] = ids.map((productId) => ({
            productId, opType: 'deduct', delta: -1, reservedDelta: 0, beforeStock: 0, afterStock: -1, orderId: `floor-${clientIndex}-${key}`,
            reason: null, operator: null, traceId: null, idemKey: `o:deduct:floor-${clientIndex}-${key++}`, reservation: null,
          }));
          const result = await client.query(applyFlush({
            flushId: 1, products: writes, entries, keys: entries.map((entry) => ({ productId: entry.productId, idemKey: entry.idemKey!, applies: true })),
            versionChecks: [],
          }));
          const applied = result.rows.filter((row: { kind: string }) => row.kind === 'applied');
          if (applied.length !== productsPerStatement) throw new Error(`the floor statement applied ${applied.length} products`);
          for (const row of applied as { product_id: number; version: number }[]) versions.set(row.product_id, row.version);
          statements += 1;
        }
      } finally {
        await client.end();
      }
    }));
    const elapsed = (performance.now() - started) / 1000;
    return {
      deltasPerSecond: Math.round((statements * productsPerStatement) / elapsed),
      statementsPerSecond: Math.round(statements / elapsed), clients, productsPerStatement, seconds: Number(elapsed.toFixed(1)),
    };
  } finally {
    await setup.end();
    const admin = new pg.Client({ ...connection, database: 'postgres' });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    await admin.end();
  }
}
