/**
 * Proves the newcomer's path on the real process: the seed design's config.yaml, verbatim
 * (test/fixtures/seed-config.yaml, copied from the original README), starts the service with only
 * DATABASE_URL, REDIS_URL and PORT in the environment; the one start-up line names the URL, docs,
 * config file, database and Redis without a password; every request but the /health probes gets
 * exactly one access line carrying its trace id; and the lines a request's engine work and diff
 * fix log carry that request's trace id too.
 */
import type pg from 'pg';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stockKeys } from '../src/store/redis/stock-keys.js';
import { dropDatabase, testConfig } from './helpers/test-env.js';
import { seededDatabase, ServiceProcess } from './helpers/service-process.js';
import { pollUntil } from './helpers/wait.js';

const seedConfigFile = new URL('./fixtures/seed-config.yaml', import.meta.url).pathname;
const config = testConfig();
let db: pg.Client;
let databaseUrl: string;
let service: ServiceProcess | undefined;

type Line = Record<string, unknown> & { msg: string };
const linesOf = (output: string): Line[] => output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Line);

beforeAll(async () => {
  ({ db, databaseUrl } = await seededDatabase(config, 'SELECT 1'));
  service = await ServiceProcess.start({
    databaseUrl,
    redisKeyPrefix: config.redis.key_prefix,
    // Only what the seed file cannot know: where PostgreSQL and Redis are, and a free port.
    env: { CONFIG_FILE: seedConfigFile, LOG_LEVEL: 'info' },
  });
});
afterAll(async () => {
  await service?.stop('SIGTERM');
  await service?.dropRedisKeys();
  await db?.end();
  await dropDatabase(config);
});

async function send(method: string, path: string, traceId: string, body?: unknown): Promise<{ status: number; body: { data: Record<string, unknown> } }> {
  const response = await fetch(`${service!.url}${path}`, {
    method,
    headers: { 'x-trace-id': traceId, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() as { data: Record<string, unknown> } };
}

it('starts from the seed config and says where it listens, which file, database and Redis it uses', async () => {
  const start = linesOf(service!.output).filter((line) => line.msg.startsWith('inventory service listening'));
  expect(start).toHaveLength(1);
  const database = new URL(databaseUrl);
  expect(start[0]).toMatchObject({
    url: service!.url,
    docs: `${service!.url}/docs`,
    config_file: seedConfigFile,
    database: `${database.hostname}:${database.port}${database.pathname}`,
    redis: '127.0.0.1:6379/0',
    redis_mode: 'cache',
    engine: 'batched, 2 shards',
    access_log: true,
  });
  // The seed file's password must not leak into the line.
  expect(JSON.stringify(start[0])).not.toContain('postgres@');
  expect((await fetch(`${service!.url}/docs/json`)).status).toBe(200);
});

it('logs one access line per request with its trace id, none for /health probes', async () => {
  expect((await send('POST', '/api/v1/inventory', 'seed-create', { product_id: 501, stock: 100 })).status).toBe(201);
  const sync = await send('POST', '/api/v1/sync-stock', 'seed-header', { product_id: 501, delta: -5, order_id: 'seed-order-1', trace_id: 'seed-sync' });
  expect(sync.status).toBe(200);
  expect(sync.body.data).toMatchObject({ before_stock: 100, after_stock: 95 });
  expect((await send('POST', '/api/v1/sync-stock', 'seed-refused', { product_id: 501, delta: 0 })).status).toBe(400);
  expect((await send('GET', '/health', 'seed-probe')).status).toBe(200);
  const access = () => linesOf(service!.output).filter((line) => 'duration_ms' in line && String(line.trace_id).startsWith('seed-'));
  // The line of the last answer is written right after it is sent: wait for it, not for a time.
  const lines = await pollUntil(access, (found) => found.length >= 3, { timeoutMs: 10_000 });
  expect(lines.map(({ method, route, status, trace_id: traceId }) => `${method} ${route} ${status} ${traceId}`)).toEqual([
    'POST /api/v1/inventory 201 seed-create',
    'POST /api/v1/sync-stock 200 seed-sync',
    'POST /api/v1/sync-stock 400 seed-refused',
  ]);
  expect(linesOf(service!.output).filter((line) => line.route === '/health')).toEqual([]);
});

it('a check and a diff fix asked for by requests log their trace ids (run started, diff fixed)', async () => {
  expect((await send('POST', '/api/v1/inventory', 'seed-create-2', { product_id: 502, stock: 40 })).status).toBe(201);
  const redis = new Redis({ host: '127.0.0.1', port: 6379, db: 0 });
  try {
    await redis.set(stockKeys(config.redis.key_prefix).stock(502), '7');
  } finally {
    redis.disconnect();
  }
  const check = await send('GET', '/api/v1/health/check', 'seed-check');
  expect(check.status).toBe(200);
  const diffs = (check.body.data.diffs as { id: number; product_id: number }[]).filter((diff) => diff.product_id === 502);
  expect(diffs).toHaveLength(1);
  expect((await send('POST', `/api/v1/health/fix/${diffs[0]!.id}`, 'seed-fix', { fix_type: 'use_db' })).status).toBe(200);
  // The run the check started names the request in its first line (the interval is 300 s: no
  // scheduled run can be the one the check joined).
  const runStarted = linesOf(service!.output).filter((line) => line.msg === 'reconciliation run started');
  expect(runStarted.map((line) => [line.trigger, line.trace_id])).toEqual([['check', 'seed-check']]);
  const fixed = await pollUntil(() => linesOf(service!.output).filter((line) => line.msg === 'diff fixed'), (found) => found.length > 0);
  expect(fixed.map((line) => [line.diff_id, line.trace_id])).toEqual([[diffs[0]!.id, 'seed-fix']]);
});
