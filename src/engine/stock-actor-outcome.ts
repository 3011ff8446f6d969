/**
 * After a connection dies mid-flush, learn which products' writes landed. First the flush's old
 * backend must be gone: until it is, its transaction may still commit (or hold its locks), and a
 * read would see the state before it. Then a product still at the plan's base version did not
 * change; otherwise its log rows carry the flush's token when they landed, and their absence
 * means another writer moved the version instead.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { assert } from '../assert.js';
import {
  finishingEntries, selectCreatedReservations, selectFlushLogIds, selectNewestLogs, selectVersion,
} from '../store/postgres/flush-queries.js';
import type { AppliedRow } from '../store/postgres/flush-queries.js';
import type { ProductPlan } from './stock-plan.js';

export type FlushOutcome = { landed: false } | { landed: true; row: AppliedRow };

/** The outcome per product, or null when PostgreSQL could not be asked within `deadlineMs`. */
export async function resolveFlushOutcome(
  pool: pg.Pool, plans: ProductPlan[], flushId: number, backendPid: number | null, deadlineMs: number, retryMs: number,
): Promise<Map<number, FlushOutcome> | null> {
  const giveUpAt = performance.now() + deadlineMs;
  while (performance.now() < giveUpAt) {
    try {
      const client = await pool.connect();
      try {
        if (await backendGone(client, backendPid)) return await readOutcomes(client, plans, flushId);
      } finally {
        client.release();
      }
    } catch {
      // PostgreSQL is still unreachable: ask again after a pause, until the deadline.
    }
    await sleep(retryMs);
  }
  return null;
}

/** Ends the old backend (a no-op when it already died with its connection) and says whether it is gone. */
async function backendGone(client: pg.PoolClient, backendPid: number | null): Promise<boolean> {
  if (backendPid === null) return true;
  await client.query({ name: 'flush_terminate_backend', text: 'SELECT pg_terminate_backend($1)', values: [backendPid] }).catch(() => {});
  const alive = await client.query({ name: 'flush_backend_alive', text: 'SELECT 1 FROM pg_stat_activity WHERE pid = $1', values: [backendPid] });
  return alive.rowCount === 0;
}

async function readOutcomes(client: pg.PoolClient, plans: ProductPlan[], flushId: number): Promise<Map<number, FlushOutcome>> {
  const outcomes = new Map<number, FlushOutcome>();
  for (const plan of plans) {
    const version = ((await client.query(selectVersion(plan.productId))).rows[0] as { version: number } | undefined)?.version;
    if (version === undefined || version === plan.baseVersion) {
      outcomes.set(plan.productId, { landed: false });
      continue;
    }
    const logIds = await flushLogIds(client, plan, version, flushId);
    if (logIds.length === 0) {
      outcomes.set(plan.productId, { landed: false });
      continue;
    }
    assert(logIds.length === plan.entries.length, 'a flush landed partly');
    const created = plan.entries.some(({ reservation }) => reservation?.action === 'create')
      ? (await client.query(selectCreatedReservations(plan.productId, logIds))).rows as { reserve_log_id: number; id: number }[]
      : [];
    const createdByLog = new Map(created.map((row) => [row.reserve_log_id, row.id]));
    outcomes.set(plan.productId, { landed: true, row: committedRow(plan, logIds, createdByLog) });
  }
  return outcomes;
}

/**
 * The ids of the log rows the flush wrote for a product, ascending; empty when it did not land.
 * One step past the base version means one flush since: ours exactly when the product's newest
 * log rows carry our token (an index read). Further on, the product's rows are searched by token.
 */
async function flushLogIds(client: pg.PoolClient, plan: ProductPlan, version: number, flushId: number): Promise<number[]> {
  if (version === plan.baseVersion + 1) {
    const newest = (await client.query(selectNewestLogs(plan.productId, plan.entries.length))).rows as { id: number; flush_id: number | null }[];
    return newest.every((row) => row.flush_id === flushId) ? newest.map((row) => row.id).reverse() : [];
  }
  return (await client.query(selectFlushLogIds(plan.productId, flushId))).rows.map((row: { id: number }) => row.id);
}

function committedRow(plan: ProductPlan, logIds: number[], createdByLog: Map<number, number>): AppliedRow {
  const stock = plan.baseStock + plan.netStock;
  const reserved = plan.baseReserved + plan.netReserved;
  const reservationIds = plan.entries.map(({ reservation }, index) => {
    if (reservation === null) return null;
    if (reservation.action !== 'create') return reservation.reservationId;
    const id = createdByLog.get(logIds[index]!);
    assert(id !== undefined, 'a landed reserve has no reservation row');
    return id;
  });
  return {
    stock, reserved, available: stock - reserved, version: plan.baseVersion + 1,
    status: plan.changes?.status ?? plan.base.status,
    min_stock: plan.changes?.minStock ?? plan.base.minStock,
    max_stock: plan.changes?.maxStock ?? plan.base.maxStock,
    log_ids: logIds, reservation_ids: reservationIds, finished_rows: finishingEntries(plan),
  };
}
