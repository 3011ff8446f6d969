/**
 * The second and settling looks at candidates, and the recording of what survives them (see
 * `reconcile-compare.ts` for why there are three looks). Runs inside a reconciliation worker.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { diffAlertOf, type NewAlert } from '../alerts/alert-rules.js';
import * as limits from '../limits.js';
import {
  insertAlerts, insertDiffs, selectActiveRows, type DiffToRecord, type FreshRowRecord,
} from '../store/postgres/reconcile-scan-queries.js';
import type { RedisClient } from '../store/redis/redis-client.js';
import type { StockKeys } from '../store/redis/stock-keys.js';
import { diffOf, judgeSecondLook, judgeSettlingLook, parseRedisStock } from './reconcile-compare.js';
import { alertKey, type PartitionResult, type PartitionTask, type RunNote } from './reconcile-types.js';
import { readKeys } from './redis-stock-reader.js';

export interface WorkerClients {
  /** Holds the streaming cursor; nothing else can run on it meanwhile. */
  scan: pg.Client;
  /** Fresh reads of candidates and the inserts. */
  write: pg.Client;
  redis: RedisClient;
  keys: StockKeys;
}

/** A candidate waiting for its settling look. */
interface SettlingEntry { productId: number; version: number; lookedAtMs: number }

export interface ScanContext {
  readonly task: PartitionTask;
  readonly clients: WorkerClients;
  readonly result: PartitionResult;
  /** In the order of their second look, so the due ones are a prefix. Bounded by reconcileSettleQueueMax. */
  readonly settling: SettlingEntry[];
}

export async function secondLook(ctx: ScanContext, productIds: number[]): Promise<void> {
  if (ctx.settling.length + productIds.length > limits.reconcileSettleQueueMax) await settle(ctx, 'all');
  const { keys, redis, write } = ctx.clients;
  // Redis before the row: a commit between the reads makes the row newer than Redis, not older.
  const raw = await readKeys(redis, productIds.flatMap((id) => [keys.stock(id), keys.version(id)]));
  const rows = await selectActiveRows(write, productIds);
  const lookedAtMs = performance.now();
  const found: DiffToRecord[] = [];
  for (const [index, productId] of productIds.entries()) {
    const row = rows.get(productId);
    const redisStock = parseRedisStock(raw[2 * index]);
    const verdict = judgeSecondLook(ctx.task.settings, row, redisStock, parseRedisStock(raw[2 * index + 1]));
    switch (verdict) {
      case 'gone': case 'in-sync': break;
      case 'diff': found.push(diffToRecord(ctx, row!, redisStock)); break;
      case 'unsettled':
        ctx.settling.push({ productId, version: row!.version, lookedAtMs });
        ctx.result.settlingRows += 1;
        break;
    }
  }
  await recordDiffs(ctx, found);
}

/**
 * Settling look at the candidates whose grace has passed (`due`), or at all of them after waiting
 * out the grace of the newest (`all`: the end of a span, or a full queue).
 */
export async function settle(ctx: ScanContext, which: 'due' | 'all'): Promise<void> {
  const graceMs = ctx.task.settings.settleGraceMs;
  const newest = ctx.settling.at(-1);
  if (newest === undefined) return;
  let dueCount = ctx.settling.length;
  if (which === 'all') {
    // Timers may fire up to a millisecond early: round up, and take every entry afterwards.
    const waitMs = Math.ceil(newest.lookedAtMs + graceMs - performance.now()) + 1;
    if (waitMs > 0) await sleep(waitMs);
  } else {
    const now = performance.now();
    dueCount = 0;
    while (dueCount < ctx.settling.length && ctx.settling[dueCount]!.lookedAtMs + graceMs <= now) dueCount += 1;
  }
  const due = ctx.settling.splice(0, dueCount);
  for (let start = 0; start < due.length; start += ctx.task.settings.chunkRows) {
    await settlingLook(ctx, due.slice(start, start + ctx.task.settings.chunkRows));
  }
}

async function settlingLook(ctx: ScanContext, entries: SettlingEntry[]): Promise<void> {
  const { keys, redis, write } = ctx.clients;
  const productIds = entries.map((entry) => entry.productId);
  const raw = await readKeys(redis, productIds.map((id) => keys.stock(id)));
  const rows = await selectActiveRows(write, productIds);
  const found: DiffToRecord[] = [];
  for (const [index, entry] of entries.entries()) {
    const row = rows.get(entry.productId);
    const redisStock = parseRedisStock(raw[index]);
    switch (judgeSettlingLook(ctx.task.settings, entry.version, row, redisStock)) {
      case 'gone': case 'in-sync': break;
      case 'moved': ctx.result.movedRows += 1; break;
      case 'diff': found.push(diffToRecord(ctx, row!, redisStock)); break;
    }
  }
  await recordDiffs(ctx, found);
}

function diffToRecord(ctx: ScanContext, row: FreshRowRecord, redis: number | null): DiffToRecord {
  const diff = diffOf(row.available, redis);
  return {
    productId: row.product_id, dbAvailable: row.available, dbVersion: row.version, redis, diff,
    alert: diffAlertOf(row.product_id, row.available, redis, diff, ctx.task.settings.alertThreshold),
  };
}

async function recordDiffs(ctx: ScanContext, diffs: DiffToRecord[]): Promise<void> {
  if (diffs.length === 0) return;
  const recorded = await insertDiffs(ctx.clients.write, ctx.task.runId, diffs);
  const raised = new Set(recorded.filter((row) => row.alert_raised).map((row) => row.product_id));
  ctx.result.diffsRecorded += recorded.length;
  for (const diff of diffs) {
    note(ctx, { productId: diff.productId, kind: 'diff', level: diff.alert.level, message: diff.alert.message });
    if (raised.has(diff.productId)) countAlert(ctx, diff.alert);
  }
}

export async function raiseStockAlerts(ctx: ScanContext, alerts: NewAlert[]): Promise<void> {
  if (alerts.length === 0) return;
  const raised = new Set((await insertAlerts(ctx.clients.write, alerts)).map((row) => `${row.product_id}:${row.alert_type}`));
  for (const alert of alerts) {
    if (!raised.has(`${alert.productId}:${alert.type}`)) continue;
    countAlert(ctx, alert);
    note(ctx, { productId: alert.productId, kind: alert.type, level: alert.level, message: alert.message });
  }
}

function countAlert(ctx: ScanContext, alert: NewAlert): void {
  const key = alertKey(alert.type, alert.level);
  ctx.result.alertsRaised[key] = (ctx.result.alertsRaised[key] ?? 0) + 1;
}

function note(ctx: ScanContext, runNote: RunNote): void {
  if (ctx.result.notes.length < limits.reconcileWarnLinesMax) ctx.result.notes.push(runNote);
  else ctx.result.notesDropped += 1;
}
