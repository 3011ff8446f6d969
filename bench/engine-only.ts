/**
 * The engine alone, without HTTP or a load generator: `npx tsx bench/engine-only.ts [--callers C]
 * [--ops N] [--mode batched|naive] [--unkeyed]`. C callers submit N deltas of −1 on one product in
 * a closed loop (each waits for its answer, then sends the next), on a fresh database and Redis
 * prefix. Prints ops/s, this process's CPU per op and the mean deltas per transaction. Separates
 * the engine's own cost from fastify's and autocannon's when reading a profile; not part of
 * `npm run bench`.
 */
import { parseArgs } from 'node:util';
import type { EngineMode } from '../src/config/config-types.js';
import { createServices } from '../src/services.js';
import { dropDatabase, testConfig } from '../test/helpers/test-env.js';

const { values } = parseArgs({
  options: {
    callers: { type: 'string', default: '100' },
    ops: { type: 'string', default: '50000' },
    mode: { type: 'string', default: 'batched' },
    unkeyed: { type: 'boolean', default: false },
  },
});
const callers = Number(values.callers);
const total = Number(values.ops);
const config = testConfig({ engine: { mode: values.mode as EngineMode } });
const services = await createServices(config);
try {
  await services.readPool.query('INSERT INTO inventories (product_id, stock) VALUES (1, 1000000000)');
  let next = 0;
  const caller = async () => {
    while (next < total) {
      const index = next++;
      await services.engine.submit({
        kind: 'delta', productId: 1, delta: -1, opType: 'deduct', orderId: values.unkeyed ? null : `order-${index}`,
        idempotencyKey: null, expectedVersion: null, reason: null, operator: null, traceId: `trace-${index}`,
      });
    }
  };
  const cpuBefore = process.cpuUsage();
  const startedMs = performance.now();
  await Promise.all(Array.from({ length: callers }, caller));
  const seconds = (performance.now() - startedMs) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const [{ transactions }] = (await services.readPool.query<{ transactions: number }>(
    'SELECT count(DISTINCT coalesce(flush_id, -id))::int AS transactions FROM inventory_logs')).rows as [{ transactions: number }];
  console.log(`${values.mode}, ${callers} callers: ${total} ops in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)} ops/s; ` +
    `CPU ${((cpu.user + cpu.system) / total).toFixed(1)} µs/op; ${(total / transactions).toFixed(1)} deltas per transaction`);
} finally {
  await services.close();
  await dropDatabase(config);
}
