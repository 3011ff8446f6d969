/**
 * The engine alone, without HTTP or a load generator: `npx tsx bench/engine-only.ts [--callers C]
 * [--ops N] [--products P] [--shards S] [--mode batched|naive] [--unkeyed]`. C callers submit N
 * deltas of −1 on P products (uniform, seeded; 1 = a flash sale) in a closed loop (each waits for
 * its answer, then sends the next), on a fresh database and Redis prefix. Prints ops/s, CPU per op
 * of this process and of its PostgreSQL backends, and the mean deltas per transaction. CPU per op
 * survives a busy machine better than a rate; it separates the engine's own cost from fastify's
 * and autocannon's. Not part of `npm run bench`.
 */
import { parseArgs } from 'node:util';
import type { EngineMode } from '../src/config/config-types.js';
import { createServices } from '../src/services.js';
import pg from 'pg';
import { dropDatabase, testConfig } from '../test/helpers/test-env.js';
import { seededRandom } from '../test/helpers/seeded-random.js';
import { backendPids, totalCpuMs } from './cpu.js';

const { values } = parseArgs({
  options: {
    callers: { type: 'string', default: '100' },
    ops: { type: 'string', default: '50000' },
    mode: { type: 'string', default: 'batched' },
    unkeyed: { type: 'boolean', default: false },
    products: { type: 'string', default: '1' },
    shards: { type: 'string', default: '8' },
  },
});
const products = Number(values.products);
const callers = Number(values.callers);
const total = Number(values.ops);
const config = testConfig({
  engine: { mode: values.mode as EngineMode, shards: Number(values.shards) },
  database: { postgres: { pool_max: Number(values.shards) + 4 } },
});
const services = await createServices(config);
try {
  await services.readPool.query('INSERT INTO inventories (product_id, stock) SELECT g, 1000000000 FROM generate_series(1, $1::int) g', [products]);
  const random = seededRandom(0x5eed);
  let next = 0;
  const caller = async () => {
    while (next < total) {
      const index = next++;
      await services.engine.submit({
        kind: 'delta', productId: 1 + Math.floor(random() * products), delta: -1, opType: 'deduct', orderId: values.unkeyed ? null : `order-${index}`,
        idempotencyKey: null, expectedVersion: null, reason: null, operator: null, traceId: `trace-${index}`,
      });
    }
  };
  // Warm up: every product loaded into its actor's cache, statements prepared on every connection.
  await Promise.all(Array.from({ length: products }, (_, index) => services.engine.submit({
    kind: 'delta', productId: index + 1, delta: -1, opType: 'deduct', orderId: null, idempotencyKey: null,
    expectedVersion: null, reason: null, operator: null, traceId: null,
  })));
  const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: config.database.postgres.dbname });
  await admin.connect();
  const backends = await backendPids(admin, config.database.postgres.dbname);
  const postgresBefore = totalCpuMs(backends);
  const cpuBefore = process.cpuUsage();
  const startedMs = performance.now();
  await Promise.all(Array.from({ length: callers }, caller));
  const seconds = (performance.now() - startedMs) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const postgresMicros = ((totalCpuMs(backends) - postgresBefore) * 1000) / total;
  await admin.end();
  const [{ transactions }] = (await services.readPool.query<{ transactions: number }>(
    `SELECT count(DISTINCT coalesce(flush_id, -id))::int AS transactions FROM inventory_logs WHERE op_type = 'deduct'`)).rows as [{ transactions: number }];
  console.log(`${values.mode}, ${values.shards} shards, ${callers} callers, ${products} products: ${total} ops in ${seconds.toFixed(2)} s = ` +
    `${Math.round(total / seconds)} ops/s; CPU µs/op engine ${((cpu.user + cpu.system) / total).toFixed(1)}, ` +
    `PostgreSQL ${postgresMicros.toFixed(1)}; ${((total + products) / transactions).toFixed(1)} deltas per transaction`);
} finally {
  await services.close();
  await dropDatabase(config);
}
