/**
 * The piscina worker of the health checker. Its default export scans one span of product ids for
 * a reconciliation; `rebuildPartition` writes one span into Redis for a rebuild (rebuild-span.ts).
 * A reconciliation span is streamed with pg-cursor in chunks of `chunk_rows` (the next chunk is
 * fetched while Redis answers for this one); each chunk's Redis values are read with MGET, alerts
 * raised and closed, and candidates given their second and settling looks. It holds at most two chunks and the bounded
 * settle queue, so its memory does not grow with the table. Each thread keeps its own connections
 * for as long as piscina keeps the thread. A failure is answered as data, with its reason.
 */
import { workerData } from 'node:worker_threads';
import Cursor from 'pg-cursor';
import { stockAlertOf } from '../alerts/alert-rules.js';
import type { NewAlert } from '../domain/alerts.js';
import { assert } from '../assert.js';
import { scanSpanText, type ScanRow } from '../store/postgres/reconcile-scan-queries.js';
import { differs, parseRedisStock } from './reconcile-compare.js';
import { failAs } from './reconcile-failure.js';
import { applyAlerts, secondLook, settle, type ScanContext, type WorkerClients } from './reconcile-looks.js';
import {
  emptyPartitionResult, type PartitionOutcome, type PartitionResult, type PartitionTask, type RebuildOutcome, type RebuildTask,
  type WorkerSetup,
} from './reconcile-types.js';
import { readKeys } from './redis-stock-reader.js';
import { rebuildSpan } from './rebuild-span.js';
import { withWorkerClients } from './worker-clients.js';

const setup = workerData as WorkerSetup;

export default function reconcilePartition(task: PartitionTask): Promise<PartitionOutcome> {
  return withWorkerClients(setup, (clients) => scanPartition(clients, task));
}

/** Run by name (piscina `run(task, { name: 'rebuildPartition' })`). */
export function rebuildPartition(task: RebuildTask): Promise<RebuildOutcome> {
  return withWorkerClients(setup, (clients) => rebuildSpan(clients, task));
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
