/**
 * Proves the engine's log lines about a request's operation carry its trace id: a flush that fails
 * for a reason a retry cannot cure warns with the trace ids of its requests (at most
 * limits.logTraceIdsMax of them), and the one op that fails even alone is logged at error with its
 * own trace id. A NUL in a reason (refused by PostgreSQL, not by HTTP here) poisons the flush.
 */
import { pino } from 'pino';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DeltaOp } from '../src/domain/stock-ops.js';
import { createBatchedEngine } from '../src/engine/stock-engine.js';
import * as limits from '../src/limits.js';
import { createPool } from '../src/store/postgres/pool.js';
import { createProduct, dropDatabase, startTestApp, testConfig, type TestApp } from './helpers/test-env.js';

type Line = Record<string, unknown> & { msg: string };
let t: TestApp;
let pool: pg.Pool;
const lines: Line[] = [];
const log = pino({ level: 'warn' }, { write: (text: string) => { lines.push(JSON.parse(text) as Line); } });

beforeAll(async () => {
  t = await startTestApp(testConfig());
  pool = createPool(t.config.database.postgres, { max: 1, applicationName: 'trace-id-test', pipeline: true });
  for (const productId of [1, 2, 3]) await createProduct(t.app, { product_id: productId, stock: 1000 });
});
afterAll(async () => {
  await pool?.end();
  await t?.close();
  if (t) await dropDatabase(t.config);
});

const delta = (productId: number, traceId: string, extra: Partial<DeltaOp> = {}): DeltaOp => ({
  kind: 'delta', productId, delta: -1, opType: 'deduct', orderId: null, idempotencyKey: null,
  expectedVersion: null, reason: null, operator: null, traceId, ...extra,
});

it('names the requests of a poisoned flush, and the poisoned one alone', async () => {
  const engine = createBatchedEngine({
    shards: 1, flushOpsMax: 2048, queueDepthMax: 4096, redisWriteWaitMs: 20,
    pool, cacheWriter: t.services.cacheWriter, metrics: t.services.metrics, log,
  });
  const ops = Array.from({ length: 60 }, (_, index) => delta(1 + (index % 3), `trace-${index}`));
  ops.splice(5, 0, delta(2, 'trace-poison', { reason: 'NUL \u0000 cannot be stored in text' }));
  const answers = await Promise.allSettled(ops.map((op) => engine.submit(op)));
  expect(answers.filter((answer) => answer.status === 'rejected')).toHaveLength(1);
  await engine.drain();

  const flushWarnings = lines.filter((line) => line.msg.startsWith('flush failed for a reason a retry cannot cure'));
  expect(flushWarnings.length).toBeGreaterThan(0);
  for (const warning of flushWarnings) {
    const traceIds = warning.trace_ids as string[];
    expect(traceIds.length).toBe(Math.min(warning.ops as number, limits.logTraceIdsMax));
    expect(traceIds.every((traceId) => /^trace-/.test(traceId))).toBe(true);
  }
  // Every split that still holds the poisoned op names it while the batch is small enough to list.
  expect(flushWarnings.filter((warning) => (warning.ops as number) <= limits.logTraceIdsMax)
    .every((warning) => (warning.trace_ids as string[]).includes('trace-poison'))).toBe(true);
  const alone = lines.filter((line) => line.msg === 'an operation fails even alone; answered alone');
  expect(alone.map((line) => [line.trace_id, line.product_id])).toEqual([['trace-poison', 2]]);
});
