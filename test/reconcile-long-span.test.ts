/**
 * Proves a span that takes longer than `statement_timeout` still completes: each chunk of a span is
 * a statement of its own, so the timeout bounds a chunk, not the span (a portal held open for the
 * whole span was cancelled mid-scan, failing the run, e.g. after a Redis restart when every key is
 * a candidate). A private Redis is paused for 1.5 s at the start of a run while the statement
 * timeout is 1 s, so every span's MGET waits out the pause between two chunk reads.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dropDatabase, startTestApp, testConfig, type TestApp } from './helpers/test-env.js';
import { PrivateRedis } from './helpers/private-redis.js';
import { checkNow, seedProducts } from './helpers/reconcile-fixtures.js';

let redis: PrivateRedis;
let t: TestApp;

beforeAll(async () => {
  redis = await PrivateRedis.start();
  t = await startTestApp(testConfig({
    database: { postgres: { statement_timeout_ms: 1000 } },
    redis: { port: redis.port },
    inventory: { health_check: { chunk_rows: 20, workers: 1 } },
    logging: { level: 'error' },
  }));
  await seedProducts(t.services, 300, { stockOf: () => 500 });
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
  if (t !== undefined) await dropDatabase(t.config);
});

it('completes a run whose spans take longer than the statement timeout', async () => {
  expect((await checkNow(t.app)).diffs_found).toBe(0); // starts the worker thread and its connections
  const pauser = new Redis({ port: redis.port });
  try {
    await pauser.call('CLIENT', 'PAUSE', '1500', 'ALL');
    const startedMs = performance.now();
    const report = await checkNow(t.app);
    expect(performance.now() - startedMs).toBeGreaterThan(1000); // the spans really outlasted the timeout
    expect(report).toMatchObject({ status: 'completed', scanned: 300, diffs_found: 0 });
  } finally {
    pauser.disconnect();
  }
});
