/**
 * Proves graceful shutdown under load: SIGTERM while 40 clients send keyed deltas; the process
 * exits 0 within the grace bound, every request was answered 200 or refused cleanly (503 or a
 * refused connection after close), and every 200 is committed: nothing more, nothing less.
 */
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dropDatabase, testConfig } from './helpers/test-env.js';
import { postSync, seededDatabase, ServiceProcess, type SyncAttempt } from './helpers/service-process.js';
import { pollUntil } from './helpers/wait.js';

const config = testConfig();
let db: pg.Client;
let databaseUrl: string;
/** Module-level, so afterAll stops it and drops its keys even when an assertion failed midway. */
let service: ServiceProcess | undefined;

beforeAll(async () => {
  ({ db, databaseUrl } = await seededDatabase(config, 'INSERT INTO inventories (product_id, stock) VALUES (7, 1000000)'));
});
afterAll(async () => {
  await service?.stop('SIGKILL');
  await service?.dropRedisKeys();
  await db.end();
  await dropDatabase(config);
});

it('SIGTERM under load: exits 0 promptly and every 200 is committed', async () => {
  const started = await ServiceProcess.start({
    databaseUrl,
    redisKeyPrefix: config.redis.key_prefix,
    env: { LOG_LEVEL: 'info' },
  });
  service = started;
  const attempts: SyncAttempt[] = [];
  let stopping = false;
  const load = Array.from({ length: 40 }, async (_, c) => {
    for (let i = 0; !stopping || i % 10 !== 0; i += 1) {
      attempts.push(await postSync(started.url, 7, `t${c}-${i}`, -1));
      if (i > 500) break;
    }
  });
  // Under load: at least 200 answers came back, however long the machine took to give them.
  await pollUntil(() => attempts.filter((a) => a.status === 200).length, (answered) => answered >= 200, { timeoutMs: 30_000 });
  stopping = true;
  const stopMs = await started.stop('SIGTERM');
  await Promise.all(load);

  expect(started.exitCode, started.output).toBe(0);
  expect(stopMs).toBeLessThan(10_000);
  const ok = attempts.filter((a) => a.status === 200);
  expect(ok.length).toBeGreaterThan(0);
  // Refused cleanly: our envelope's 503 SHUTTING_DOWN on a connection still open, or no connection.
  const unclean = attempts.filter((a) => a.status !== 200 && !(a.status === 503 && a.code === 'SHUTTING_DOWN') && a.status !== 'network-error');
  expect(unclean).toEqual([]);
  const { rows: [row] } = await db.query('SELECT stock::float8 AS stock FROM inventories WHERE product_id = 7');
  expect(row.stock).toBe(1_000_000 - ok.length);
  const { rows } = await db.query('SELECT idem_key FROM inventory_idempotency');
  expect(new Set(rows.map((r) => r.idem_key))).toEqual(new Set(ok.map((a) => `k:${a.key}`)));
});
