/**
 * Proves no acknowledged delta is lost and none applies twice across a crash: the service (a real
 * child process) takes keyed deltas from 40 concurrent clients, is killed with SIGKILL mid-flight
 * and restarted; every delta without a definitive answer is retried with its key. Final stock
 * equals start plus the sum of applied deltas, with one log row and one key record per delta.
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
  ({ db, databaseUrl } = await seededDatabase(config, `INSERT INTO inventories (product_id, stock) VALUES (1, 1000000), (2, 1000000)`));
});
afterAll(async () => {
  await service?.stop('SIGKILL');
  await service?.dropRedisKeys();
  await db.end();
  await dropDatabase(config);
});

it('SIGKILL mid-load, restart, retry unanswered keys: exact stock, nothing twice', async () => {
  const started = await ServiceProcess.start({ databaseUrl, redisKeyPrefix: config.redis.key_prefix });
  service = started;
  const clients = 40;
  const perClient = 60;
  const attempts = new Map<string, SyncAttempt>();
  let killed = false;
  const load = Array.from({ length: clients }, async (_, c) => {
    for (let i = 0; i < perClient; i += 1) {
      const key = `c${c}-${i}`;
      const delta = (i % 5 === 0 ? 3 : -1) * (1 + (c % 3));
      const attempt = await postSync(started.url, 1 + (c % 2), key, delta);
      attempts.set(key, attempt);
      if (killed) return; // this client's remaining keys were never sent
    }
  });
  // Mid-load: at least 200 deltas were acknowledged, however long the machine took to answer them.
  await pollUntil(() => [...attempts.values()].filter((a) => a.status === 200).length, (answered) => answered >= 200, { timeoutMs: 30_000 });
  killed = true;
  await started.stop('SIGKILL');
  await Promise.all(load);
  const acknowledgedBeforeKill = [...attempts.values()].filter((a) => a.status === 200);
  expect(acknowledgedBeforeKill.length).toBeGreaterThan(0);
  const unanswered = [...attempts.values()].filter((a) => a.status !== 200);
  expect(unanswered.length).toBeGreaterThan(0);

  await started.restart();
  for (const attempt of unanswered) {
    const productId = 1 + (Number(attempt.key.slice(1).split('-')[0]) % 2);
    const retry = await postSync(started.url, productId, attempt.key, attempt.delta);
    expect(retry.status).toBe(200);
    attempts.set(attempt.key, retry);
  }
  await started.stop('SIGTERM');

  const applied = [...attempts.values()];
  for (const productId of [1, 2]) {
    const mine = applied.filter((a) => 1 + (Number(a.key.slice(1).split('-')[0]) % 2) === productId);
    const expected = 1_000_000 + mine.reduce((sum, a) => sum + a.delta, 0);
    const { rows: [row] } = await db.query('SELECT stock::float8 AS stock FROM inventories WHERE product_id = $1', [productId]);
    expect(row.stock).toBe(expected);
    const { rows: [logs] } = await db.query('SELECT count(*)::int AS n FROM inventory_logs WHERE product_id = $1', [productId]);
    expect(logs.n).toBe(mine.length);
  }
  const { rows: [keys] } = await db.query('SELECT count(*)::int AS n FROM inventory_idempotency');
  expect(keys.n).toBe(applied.length);
  // Every delta acknowledged before the crash is in the database.
  const { rows } = await db.query('SELECT idem_key FROM inventory_idempotency');
  const stored = new Set(rows.map((r) => r.idem_key));
  for (const a of acknowledgedBeforeKill) expect(stored.has(`k:${a.key}`)).toBe(true);
});
