/**
 * The connections of a worker thread (reconciliation spans and rebuild spans alike): two
 * PostgreSQL clients and one Redis client, opened on the thread's first task and kept for as long
 * as piscina keeps the thread. A task's failure is answered as data, with its reason, and drops
 * the connections: a broken one must not serve the next task.
 */
import pg from 'pg';
import * as limits from '../limits.js';
import { connectionOptions, databaseName } from '../store/postgres/pool.js';
import { installPgTypeParsers } from '../store/postgres/pg-types.js';
import { connectRedis, createRedisClient } from '../store/redis/redis-client.js';
import { createStockCacheWriter } from '../store/redis/stock-cache.js';
import { stockKeys } from '../store/redis/stock-keys.js';
import { detailOf, failAs, reasonOf, RunFailure } from './reconcile-failure.js';
import type { WorkerClients } from './reconcile-looks.js';
import type { WorkerOutcome, WorkerSetup } from './reconcile-types.js';

let clients: Promise<WorkerClients> | null = null;

/** Runs `work` with the thread's connections (opening them if needed); its failure becomes data. */
export async function withWorkerClients<Result>(
  setup: WorkerSetup, work: (clients: WorkerClients) => Promise<Result>,
): Promise<WorkerOutcome<Result>> {
  const used = (clients ??= connectClients(setup));
  try {
    return { ok: true, result: await work(await used) };
  } catch (error) {
    // The thread's other span, if any, shares these connections and fails with them (its run has
    // failed anyway).
    if (clients === used) clients = null;
    await used.then(closeClients, () => {});
    return { ok: false, reason: reasonOf(error), detail: detailOf(error) };
  }
}

async function connectClients(setup: WorkerSetup): Promise<WorkerClients> {
  installPgTypeParsers();
  const postgres = setup.postgres;
  const options: pg.ClientConfig = {
    ...connectionOptions(postgres, databaseName(postgres)),
    connectionTimeoutMillis: postgres.connect_timeout_ms,
    statement_timeout: postgres.statement_timeout_ms,
    application_name: 'inventory-reconcile',
  };
  // The scan's cursor is one statement for a whole span: no statement timeout on that connection
  // (set explicitly after connecting, whatever the server's or role's default).
  const scan = new pg.Client(options);
  const write = new pg.Client(options);
  const redis = createRedisClient({ ...setup.redis, command_timeout_ms: limits.reconcileRedisTimeoutMs }, 'inventory-reconcile');
  const keys = stockKeys(setup.redis.key_prefix);
  const opened: WorkerClients = { scan, write, redis, keys, cache: createStockCacheWriter(redis, keys, setup.redis.mode) };
  // Errors of an idle connection surface on its next query; without listeners they would crash the thread.
  scan.on('error', () => {});
  write.on('error', () => {});
  try {
    await failAs('database error', Promise.all([scan.connect(), write.connect()]));
    await failAs('database error', scan.query('SET statement_timeout = 0'));
    if (!(await connectRedis(redis, limits.redisConnectTimeoutMs(setup.redis.command_timeout_ms)))) {
      throw new RunFailure('redis unreachable', new Error('the worker could not connect to Redis'));
    }
  } catch (error) {
    await closeClients(opened);
    throw error;
  }
  return opened;
}

async function closeClients(open: WorkerClients): Promise<void> {
  open.redis.disconnect();
  await Promise.allSettled([open.scan.end(), open.write.end()]);
}
