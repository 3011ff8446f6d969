/**
 * The piscina worker of a reconciliation: scans one span of product ids. It streams the span with
 * pg-cursor in chunks of `chunk_rows` (the next chunk is fetched while Redis answers for this
 * one), reads each chunk's Redis values with MGET, raises and closes alerts, and
 * gives candidates their second and settling looks. It holds at most two chunks and the bounded
 * settle queue, so its memory does not grow with the table. Each thread keeps its own connections
 * for as long as piscina keeps the thread. A failure is answered as data, with its reason.
 */
import { workerData } from 'node:worker_threads';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { stockAlertOf } from '../alerts/alert-rules.js';
import type { NewAlert } from '../domain/alerts.js';
import { assert } from '../assert.js';
import * as limits from '../limits.js';
import { connectionOptions, databaseName } from '../store/postgres/pool.js';
import { installPgTypeParsers } from '../store/postgres/pg-types.js';
import { scanSpanText, type ScanRow } from '../store/postgres/reconcile-scan-queries.js';
import { connectRedis, createRedisClient } from '../store/redis/redis-client.js';
import { stockKeys } from '../store/redis/stock-keys.js';
import { differs, parseRedisStock } from './reconcile-compare.js';
import { detailOf, failAs, reasonOf, RunFailure } from './reconcile-failure.js';
import { applyAlerts, secondLook, settle, type ScanContext, type WorkerClients } from './reconcile-looks.js';
import {
  emptyPartitionResult, type PartitionOutcome, type PartitionResult, type PartitionTask, type WorkerSetup,
} from './reconcile-types.js';
import { readKeys } from './redis-stock-reader.js';

const setup = workerData as WorkerSetup;
let clients: Promise<WorkerClients> | null = null;

export default async function reconcilePartition(task: PartitionTask): Promise<PartitionOutcome> {
  const used = (clients ??= connectClients());
  try {
    return { ok: true, result: await scanPartition(await used, task) };
  } catch (error) {
    // A broken connection must not serve the next task: start afresh then. The thread's other
    // span, if any, shares these connections and fails with them (its run has failed anyway).
    if (clients === used) clients = null;
    await used.then(closeClients, () => {});
    return { ok: false, reason: reasonOf(error), detail: detailOf(error) };
  }
}

async function scanPartition(workerClients: WorkerClients, task: PartitionTask): Promise<PartitionResult> {
  const ctx: ScanContext = { task, clients: workerClients, result: emptyPartitionResult(), settling: [] };
  const progress = new BigInt64Array(task.progress);
  const { chunkRows, lowStockThreshold } = task.settings;
  const cursor = workerClients.scan.query(new Cursor<ScanRow>(scanSpanText,
    [task.fromProductId, task.toProductId, lowStockThreshold], { rowMode: 'array' }));
  const readChunk = () => failAs('database error', cursor.read(chunkRows));
  let afterProductId = task.fromProductId - 1;
  let next: Promise<ScanRow[]> | null = readChunk();
  try {
    // Bounded: the span is finite, and a chunk shorter than chunk_rows is its last.
    while (next !== null) {
      const rows: ScanRow[] = await next;
      const full = rows.length === chunkRows;
      // The chunks' ranges tile the span, so alerts are closed over all of it.
      const throughProductId = full ? rows[rows.length - 1]![0] : task.toProductId - 1;
      next = full ? readChunk() : null;
      await checkChunk(ctx, rows, afterProductId, throughProductId);
      afterProductId = throughProductId;
      ctx.result.scannedRows += rows.length;
      Atomics.add(progress, 0, BigInt(rows.length));
    }
  } finally {
    await next?.catch(() => []);
    await cursor.close().catch(() => {});
  }
  await settle(ctx, 'all');
  assert(ctx.settling.length === 0, 'a candidate was left without its settling look');
  return ctx.result;
}

async function checkChunk(ctx: ScanContext, rows: ScanRow[], afterProductId: number, throughProductId: number): Promise<void> {
  const { keys, redis } = ctx.clients;
  const keyList = new Array<string>(rows.length);
  for (let index = 0; index < rows.length; index += 1) keyList[index] = keys.stock(rows[index]![0]);
  const values = rows.length === 0 ? [] : await failAs('redis unreachable', readKeys(redis, keyList));
  const candidates: number[] = [];
  const stockAlerts: NewAlert[] = [];
  for (let index = 0; index < rows.length; index += 1) {
    const [productId, available, lowThreshold] = rows[index]!;
    if (differs(ctx.task.settings, available, parseRedisStock(values[index]))) candidates.push(productId);
    if (lowThreshold !== null) {
      const alert = stockAlertOf(productId, available, lowThreshold);
      if (alert !== null) stockAlerts.push(alert);
    }
  }
  ctx.result.candidateRows += candidates.length;
  const keepDiffAlertIds = candidates.length > 0 ? await secondLook(ctx, candidates) : [];
  await applyAlerts(ctx, { afterProductId, throughProductId, stockAlerts, keepDiffAlertIds });
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
  // The scan's cursor is one statement for a whole span: no statement timeout on that connection
  // (set explicitly after connecting, whatever the server's or role's default).
  const scan = new pg.Client(options);
  const write = new pg.Client(options);
  const redis = createRedisClient({ ...setup.redis, command_timeout_ms: limits.reconcileRedisTimeoutMs }, 'inventory-reconcile');
  const opened: WorkerClients = { scan, write, redis, keys: stockKeys(setup.redis.key_prefix) };
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
