/**
 * After a connection dies mid-flush, learn which products' writes landed. A product still at the
 * plan's base version did not change; otherwise its log rows carry the flush's token when they
 * landed, and their absence means another writer moved the version instead.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { assert } from '../assert.js';
import {
  finishingEntries, selectCreatedReservations, selectFlushLogIds, selectVersion,
} from '../store/postgres/flush-queries.js';
import type { AppliedRow } from '../store/postgres/flush-queries.js';
import type { ProductPlan } from './stock-plan.js';

export type FlushOutcome = { landed: false } | { landed: true; row: AppliedRow };

/** The outcome per product, or null when PostgreSQL could not be asked within `deadlineMs`. */
export async function resolveFlushOutcome(
  pool: pg.Pool, plans: ProductPlan[], flushId: number, deadlineMs: number, retryMs: number,
): Promise<Map<number, FlushOutcome> | null> {
  const giveUpAt = performance.now() + deadlineMs;
  while (performance.now() < giveUpAt) {
    try {
      return await readOutcomes(pool, plans, flushId);
    } catch {
      await sleep(retryMs);
    }
  }
  return null;
}

async function readOutcomes(pool: pg.Pool, plans: ProductPlan[], flushId: number): Promise<Map<number, FlushOutcome>> {
  const outcomes = new Map<number, FlushOutcome>();
  const client = await pool.connect();
  try {
    for (const plan of plans) {
      const version = ((await client.query(selectVersion(plan.productId))).rows[0] as { version: number } | undefined)?.version;
      if (version === plan.baseVersion) {
        outcomes.set(plan.productId, { landed: false });
        continue;
      }
      const logIds = (await client.query(selectFlushLogIds(plan.productId, flushId))).rows.map((row: { id: number }) => row.id);
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
  } finally {
    client.release();
  }
  return outcomes;
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
