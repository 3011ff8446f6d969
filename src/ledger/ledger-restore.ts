/**
 * Restore: set a product's stock back to its ledger value at a point, by one new compensating
 * `fix` entry through the product's actor — never by editing or deleting log rows, so the audit
 * chain stays whole (the fix row's before_stock is the current stock, its after_stock the target).
 *
 * Only stock is restored. `reserved` belongs to reservations that are still pending now (each will
 * be confirmed, released or expire through its own entries); setting it back would strand them, so
 * it is left as it is and a target stock below the current reserved is refused.
 *
 * The change is version-checked (against the row read with the ledger, in one statement) and keyed:
 * by the caller's `idempotency_key`, or else by the version it was computed at and the point, so
 * the same restore sent twice against the same state applies once. A retry with the same
 * `idempotency_key` answers the stored first result, even after other changes moved the stock.
 */
import { replayedResult, type ChangeResult } from '../domain/change-result.js';
import { idempotencyKeyOf, type DeltaOp } from '../domain/stock-ops.js';
import type { StockEngine } from '../engine/stock-engine.js';
import { errors } from '../errors.js';
import type pg from 'pg';
import { selectStoredKey } from '../store/postgres/ledger-queries.js';
import { ledgerStateAt, type LedgerPoint, type LedgerState } from './ledger-state.js';

export interface RestoreRequest {
  productId: number;
  point: LedgerPoint;
  reason: string;
  operator: string;
  idempotencyKey: string | null;
  expectedVersion: number | null;
  traceId: string | null;
}

export interface RestoreResult {
  target: LedgerState;
  /** False when the stock already had the target value: nothing was written. */
  restored: boolean;
  /** The compensating change (or its stored first result, replayed); null when nothing was written. */
  change: ChangeResult | null;
}

export interface RestoreDeps { readPool: pg.Pool; engine: StockEngine }

export async function restoreStock(deps: RestoreDeps, request: RestoreRequest): Promise<RestoreResult> {
  const { productId, point } = request;
  const { state: target, current } = await ledgerStateAt(deps.readPool, productId, point);
  if (current === null) throw errors.inventoryNotFound(productId);
  if (request.idempotencyKey !== null) {
    const stored = await selectStoredKey(deps.readPool, productId, idempotencyKeyOf(fixOp(request, 0, null, request.idempotencyKey))!);
    if (stored !== null) {
      if (stored.opType !== 'fix') throw errors.idempotencyConflict(request.idempotencyKey, `a ${stored.opType} of ${stored.delta}`);
      return { target, restored: true, change: replayedResult(productId, stored, null) };
    }
  }
  if (request.expectedVersion !== null && request.expectedVersion !== current.version) {
    throw errors.versionConflict(productId, request.expectedVersion, current.version);
  }
  const delta = target.stock - current.stock;
  if (delta === 0) return { target, restored: false, change: null };
  if (target.stock < current.reserved) throw errors.restoreBelowReserved(productId, target.stock, current.reserved);
  const key = request.idempotencyKey ?? `restore:v${current.version}:${pointName(point)}`;
  const change = await deps.engine.submit(fixOp(request, delta, current.version, key, target));
  return { target, restored: true, change };
}

function fixOp(request: RestoreRequest, delta: number, expectedVersion: number | null, key: string, target?: LedgerState): DeltaOp {
  const to = target === undefined ? '' : `restore to log ${target.log_id ?? 'none'} (stock ${target.stock}): `;
  return {
    kind: 'delta', opType: 'fix', delta, expectedVersion, idempotencyKey: key, orderId: null,
    reason: `${to}${request.reason}`, operator: request.operator, traceId: request.traceId, productId: request.productId,
  };
}

function pointName(point: LedgerPoint): string {
  return point.kind === 'log' ? `log-${point.logId}` : `time-${point.time.toISOString()}`;
}
