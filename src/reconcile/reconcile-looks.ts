/**
 * The second and settling looks at candidates, and the recording of what survives them (see
 * `reconcile-compare.ts` for why there are three looks), plus the alerts of each chunk. Runs inside
 * a reconciliation worker.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { diffAlertOf } from '../alerts/alert-rules.js';
import * as limits from '../limits.js';
import { applyChunkAlerts, closeDiffAlerts, type ChunkAlerts } from '../store/postgres/reconcile-alert-queries.js';
import {
  selectActiveRows, upsertDiffs, type DiffToRecord, type FreshRowRecord,
} from '../store/postgres/reconcile-scan-queries.js';
import type { RedisClient } from '../store/redis/redis-client.js';
import type { StockCacheWriter } from '../store/redis/stock-cache.js';
import type { StockKeys } from '../store/redis/stock-keys.js';
import { diffOf, judgeSecondLook, judgeSettlingLook, parseRedisStock } from './reconcile-compare.js';
import { failAs } from './reconcile-failure.js';
import { alertKey, type NewAlert } from '../domain/alerts.js';
import { type PartitionResult, type PartitionTask, type RunNote } from './reconcile-types.js';
import { readKeys } from './redis-stock-reader.js';

export interface WorkerClients {
  /** Reads the span's chunks, one ahead of the chunk being checked. */
  scan: pg.Client;
  /** Fresh reads of candidates and the writes. */
  write: pg.Client;
  redis: RedisClient;
  keys: StockKeys;
  /** The service's own version-guarded writes (a rebuild writes through them). */
  cache: StockCacheWriter;
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

/** What a look concluded: a diff to record, in sync (its diff alert may close), or neither (unsettled, moved, gone). */
type LookOutcome = 'diff' | 'in-sync' | 'open';

interface LookedAt { row: FreshRowRecord | undefined; redisStock: number | null; redisVersion: number | null }

/**
 * The part both later looks share: Redis first, then the rows afresh (a commit between the reads
 * makes the row newer than Redis, not older), a verdict per product, then the diffs recorded.
 * Returns each product's outcome, in order.
 */
async function lookAgain(
  ctx: ScanContext, productIds: number[], withVersion: boolean, judge: (index: number, look: LookedAt) => LookOutcome,
): Promise<LookOutcome[]> {
  const { keys, redis, write } = ctx.clients;
  const stride = withVersion ? 2 : 1;
  const keyList = withVersion ? productIds.flatMap((id) => [keys.stock(id), keys.version(id)]) : productIds.map((id) => keys.stock(id));
  const raw = await failAs('redis unreachable', readKeys(redis, keyList));
  const rows = await failAs('database error', selectActiveRows(write, productIds));
  const found: DiffToRecord[] = [];
  const outcomes = productIds.map((productId, index) => {
    const look: LookedAt = {
      row: rows.get(productId),
      redisStock: parseRedisStock(raw[stride * index]),
      redisVersion: withVersion ? parseRedisStock(raw[stride * index + 1]) : null,
    };
    const outcome = judge(index, look);
    if (outcome === 'diff') found.push(diffToRecord(ctx, look.row!, look.redisStock));
    return outcome;
  });
  await recordDiffs(ctx, found);
  return outcomes;
}

/**
 * Returns the candidates whose diff alert must stay: recorded as a diff, or waiting to settle (the
 * chunk's alert statement closes the diff alerts of the others).
 */
export async function secondLook(ctx: ScanContext, productIds: number[]): Promise<number[]> {
  if (ctx.settling.length + productIds.length > limits.reconcileSettleQueueMax) await settle(ctx, 'all');
  const lookedAtMs = performance.now();
  const outcomes = await lookAgain(ctx, productIds, true, (index, { row, redisStock, redisVersion }) => {
    const verdict = judgeSecondLook(ctx.task.settings, row, redisStock, redisVersion);
    switch (verdict) {
      case 'gone': case 'in-sync': return 'in-sync';
      case 'diff': return 'diff';
      case 'unsettled':
        ctx.settling.push({ productId: productIds[index]!, version: row!.version, lookedAtMs });
        ctx.result.settlingRows += 1;
        return 'open';
    }
  });
  return productIds.filter((_, index) => outcomes[index] !== 'in-sync');
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
    const productIds = due.slice(start, start + ctx.task.settings.chunkRows).map((entry) => entry.productId);
    const outcomes = await lookAgain(ctx, productIds, false, (index, { row, redisStock }) => {
      switch (judgeSettlingLook(ctx.task.settings, due[start + index]!.version, row, redisStock)) {
        case 'gone': return 'open'; // no longer active: the scan looks at active products' alerts only
        case 'in-sync': return 'in-sync';
        case 'moved': ctx.result.movedRows += 1; return 'open';
        case 'diff': return 'diff';
      }
    });
    const inSync = productIds.filter((_, index) => outcomes[index] === 'in-sync');
    if (inSync.length > 0) ctx.result.alertsCleared += await failAs('database error', closeDiffAlerts(ctx.clients.write, inSync, ctx.task.settings.eventRoutes));
  }
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
  const recorded = await failAs('database error', upsertDiffs(ctx.clients.write, ctx.task.runId, diffs, ctx.task.settings.eventRoutes));
  const raised = new Set(recorded.filter((row) => row.alert_raised).map((row) => row.product_id));
  ctx.result.diffsRecorded += recorded.length;
  for (const diff of diffs) {
    note(ctx, { productId: diff.productId, kind: 'diff', level: diff.alert.level, message: diff.alert.message });
    if (raised.has(diff.productId)) countAlert(ctx, diff.alert);
  }
}

/** Raises the chunk's new stock alerts and closes the ones whose condition is gone. */
export async function applyAlerts(ctx: ScanContext, chunk: ChunkAlerts): Promise<void> {
  const changes = await failAs('database error', applyChunkAlerts(ctx.clients.write, chunk, ctx.task.settings.eventRoutes));
  ctx.result.alertsCleared += changes.cleared;
  if (changes.raised.length === 0) return;
  const raised = new Set(changes.raised.map((row) => `${row.product_id}:${row.alert_type}`));
  for (const alert of chunk.stockAlerts) {
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
