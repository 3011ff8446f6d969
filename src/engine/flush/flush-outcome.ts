/**
 * After the connection died while a flush's write was in flight, learn whether it landed. The
 * write is one transaction, so every product of it landed or none did. First the flush's old
 * backend must be gone: until it is, its transaction may still commit (or hold its locks), and a
 * read would see the state before it. Then:
 * - a product still at its plan's base version did not change: the flush did not land;
 * - a product one version past it landed exactly when its newest log rows carry the flush's token;
 * - a product further on: its rows are searched for the token.
 * When PostgreSQL cannot be asked before the deadline, the outcome is unknown.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { assert } from '../../assert.js';
import type { AppliedProduct } from '../../store/postgres/flush-statements.js';
import {
  endBackend, selectCreatedReservations, selectCurrentRows, selectFlushLogs, selectNewestLogs, type CurrentRow,
} from '../../store/postgres/flush-outcome-queries.js';
import type { ProductPlan } from '../stock-plan.js';

export type FlushOutcome =
  | { landed: false }
  | { landed: true; applied: Map<number, AppliedProduct> }
  /** PostgreSQL could not be asked in time. */
  | null;

export interface OutcomeDeadline { deadlineMs: number; retryMs: number }

export async function resolveFlushOutcome(
  pool: pg.Pool, plans: readonly ProductPlan[], flushId: number, backendPid: number | null, bounds: OutcomeDeadline,
): Promise<FlushOutcome> {
  assert(plans.length > 0, 'only a flush that wrote has an outcome to resolve');
  const giveUpAt = performance.now() + bounds.deadlineMs;
  while (performance.now() < giveUpAt) {
    try {
      const client = await pool.connect();
      try {
        if (backendPid === null || await endBackend(client, backendPid)) return await readOutcome(client, plans, flushId);
      } finally {
        client.release();
      }
    } catch {
      // PostgreSQL is still unreachable: ask again after a pause, until the deadline.
    }
    await sleep(bounds.retryMs);
  }
  return null;
}

async function readOutcome(client: pg.PoolClient, plans: readonly ProductPlan[], flushId: number): Promise<FlushOutcome> {
  const current = await selectCurrentRows(client, plans.map((plan) => plan.productId));
  if (!(await landed(client, plans, current, flushId))) return { landed: false };
  const logs = await selectFlushLogs(client, plans.map((plan) => plan.productId), flushId);
  const created = plans.flatMap((plan) => plan.entries.filter((entry) => entry.reservation?.action === 'create')
    .map((entry) => ({ productId: plan.productId, orderId: entry.orderId! })));
  const reservationIds = created.length === 0 ? new Map<string, number>() : await selectCreatedReservations(client, created);
  const applied = new Map<number, AppliedProduct>();
  for (const plan of plans) {
    const landedLogs = logs.get(plan.productId);
    assert(landedLogs !== undefined && landedLogs.logIds.length === plan.entries.length, 'a flush landed partly');
    applied.set(plan.productId, appliedOf(plan, landedLogs.logIds, landedLogs.committedAt, current.get(plan.productId)!, reservationIds));
  }
  return { landed: true, applied };
}

async function landed(client: pg.PoolClient, plans: readonly ProductPlan[], current: Map<number, CurrentRow>, flushId: number): Promise<boolean> {
  if (plans.some((plan) => current.get(plan.productId)?.version === plan.baseVersion)) return false;
  const next = plans.find((plan) => current.get(plan.productId)?.version === plan.baseVersion + 1);
  if (next !== undefined) {
    // One step past the base version means one write since: ours exactly when its newest rows are ours.
    const newest = await selectNewestLogs(client, next.productId, next.entries.length);
    return newest.length === next.entries.length && newest.every((row) => row.flush_id === flushId);
  }
  const first = plans[0]!;
  return (await selectFlushLogs(client, [first.productId], flushId)).has(first.productId);
}

/** What the landed write committed for a product, rebuilt from its plan and the rows it left. */
function appliedOf(
  plan: ProductPlan, logIds: number[], committedAt: Date, row: CurrentRow, reservationIds: Map<string, number>,
): AppliedProduct {
  const stock = plan.baseStock + plan.netStock;
  const reserved = plan.baseReserved + plan.netReserved;
  const changes = plan.changes;
  return {
    record: {
      productId: plan.productId, productName: changes?.productName ?? row.product_name, stock, reserved,
      available: stock - reserved, version: plan.baseVersion + 1, status: changes?.status ?? plan.base.status,
      minStock: changes?.minStock ?? plan.base.minStock, maxStock: changes?.maxStock ?? plan.base.maxStock,
      createdAt: row.created_at, updatedAt: committedAt,
    },
    logIds,
    reservationIds: plan.entries.map(({ reservation, orderId }) => {
      if (reservation === null) return null;
      if (reservation.action !== 'create') return reservation.reservationId;
      const id = reservationIds.get(`${plan.productId}:${orderId}`);
      assert(id !== undefined, 'a landed reserve has no reservation row');
      return id;
    }),
    finishedRows: plan.entries.filter(({ reservation }) => reservation !== null && reservation.action !== 'create').length,
    committedAt,
  };
}
