/**
 * The piscina worker of a reconciliation: scans one span of product ids. It streams the span with
 * pg-cursor in chunks of `chunk_rows` (the next chunk is fetched while Redis answers for this one),
 * reads each chunk's Redis values with MGET, raises stock alerts, and gives candidates their second
 * and settling looks. It holds at most two chunks and the bounded settle queue, so its memory does
 * not grow with the table. Each thread keeps its own connections (pg-cursor cannot run on the
 * service's pipelined pool) for as long as piscina keeps the thread.
 */
import { workerData } from 'node:worker_threads';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { stockAlertOf, type NewAlert } from '../alerts/alert-rules.js';
import { assert } from '../assert.js';
import * as limits from '../limits.js';
import { connectionOptions, databaseName } from '../store/postgres/pool.js';
import { installPgTypeParsers } from '../store/postgres/pg-types.js';
import { scanPartitionText, type ScanRow } from '../store/postgres/reconcile-scan-queries.js';
import { connectRedis, createRedisClient } from '../store/redis/redis-client.js';
import { stockKeys } from '../store/redis/stock-keys.js';
import { differs, parseRedisStock } from './reconcile-compare.js';
import { raiseStockAlerts, secondLook, settle, type ScanContext, type WorkerClients } from './reconcile-looks.js';
import { emptyPartitionResult, type PartitionResult, type PartitionTask, type WorkerSetup } from './reconcile-types.js';
import { readKeys } from './redis-stock-reader.js';

const setup = workerData as WorkerSetup;
let clients: Promise<WorkerClients> | null = null;

export default async function reconcilePartition(task: PartitionTask): Promise<PartitionResult> {
  const used = (clients ??= connectClients());
  try {
    return await scanPartition(await used, task);
  } catch (error) {
    // A broken connection must not serve the next task: start afresh then. The thread's other
    // span, if any, shares these connections and fails with them (its run has failed anyway).
    if (clients === used) clients = null;
    await used.then(closeClients, () => {});
    throw error;
  }
}

async function scanPartition(workerClients: WorkerClients, task: PartitionTask): Promise<PartitionResult> {
  const ctx: ScanContext = { task, clients: workerClients, result: emptyPartitionResult(), settling: [] };
  const progress = new BigInt64Array(task.progress);
  const cursor = workerClients.scan.query(new Cursor<ScanRow>(scanPartitionText,
    [task.fromProductId, task.toProductId, task.settings.lowStockThreshold], { rowMode: 'array' }));
  let next: Promise<ScanRow[]> = cursor.read(task.settings.chunkRows);
  try {
    for (;;) {
      const rows = await next;
      if (rows.length === 0) break;
      next = cursor.read(task.settings.chunkRows);
      await checkChunk(ctx, rows);
      ctx.result.scannedRows += rows.length;
      Atomics.add(progress, 0, BigInt(rows.length));
    }
  } finally {
    await next.catch(() => []);
    await cursor.close().catch(() => {});
  }
  await settle(ctx, 'all');
  assert(ctx.settling.length === 0, 'a candidate was left without its settling look');
  return ctx.result;
}

async function checkChunk(ctx: ScanContext, rows: ScanRow[]): Promise<void> {
  const { keys, redis } = ctx.clients;
  const keyList = new Array<string>(rows.length);
  for (let index = 0; index < rows.length; index += 1) keyList[index] = keys.stock(rows[index]![0]);
  const values = await readKeys(redis, keyList);
  const candidates: number[] = [];
  const alerts: NewAlert[] = [];
  for (let index = 0; index < rows.length; index += 1) {
    const [productId, available, lowThreshold] = rows[index]!;
    if (differs(ctx.task.settings, available, parseRedisStock(values[index]))) candidates.push(productId);
    if (lowThreshold !== null) {
      const alert = stockAlertOf(productId, available, lowThreshold);
      if (alert !== null) alerts.push(alert);
    }
  }
  ctx.result.candidateRows += candidates.length;
  if (candidates.length > 0) await secondLook(ctx, candidates);
  await raiseStockAlerts(ctx, alerts);
  await settle(ctx, 'due');
}

async function connectClients(): Promise<WorkerClients> {
  installPgTypeParsers();
  const postgres = setup.postgres;
  const options: pg.ClientConfig = {
    ...connectionOptions(postgres, databaseName(postgres)),
    connectionTimeoutMillis: postgres.connect_timeout_ms,
    statement_timeout: postgres.statement_timeout_ms,
    application_name: 'inventory-reconcile',
  };
  const scan = new pg.Client(options);
  const write = new pg.Client(options);
  const redis = createRedisClient({ ...setup.redis, command_timeout_ms: limits.reconcileRedisTimeoutMs }, 'inventory-reconcile');
  const opened: WorkerClients = { scan, write, redis, keys: stockKeys(setup.redis.key_prefix) };
  // Errors of an idle connection surface on its next query; without listeners they would crash the thread.
  scan.on('error', () => {});
  write.on('error', () => {});
  try {
    await Promise.all([scan.connect(), write.connect()]);
    if (!(await connectRedis(redis, setup.redis.command_timeout_ms * 4))) throw new Error('Redis cannot be reached');
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
