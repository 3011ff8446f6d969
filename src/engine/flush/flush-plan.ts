/**
 * Phase 3 of a flush, pure: each product's ops judged in arrival order against its state
 * (`planProduct`), and the one statement that writes every product's plan at once.
 */
import { assert } from '../../assert.js';
import { idempotencyKeyOf } from '../../domain/stock-ops.js';
import type { KeyLookup } from '../../store/postgres/flush-load-queries.js';
import type { ProductWrite } from '../../store/postgres/flush-statements.js';
import { planProduct, type PlannedEntry, type ProductPlan } from '../stock-plan.js';
import type { Confirmation, LoadedProduct, PlannedFlush, PlannedProduct } from './flush-phases.js';

export function planFlush(products: readonly LoadedProduct[], inTransaction: boolean, flushId: number): PlannedFlush {
  const planned: PlannedProduct[] = [];
  const writes: ProductWrite[] = [];
  const entries: PlannedEntry[] = [];
  const keys: KeyLookup[] = [];
  const versionChecks: number[] = [];
  for (const loaded of products) {
    if (loaded.state === null) {
      assert(loaded.lockedNow, 'only a read under lock can find a product missing');
      planned.push({ loaded, plan: null, confirmation: 'none' });
      continue;
    }
    const plan = planProduct(loaded.state, loaded.pendings.map((pending) => pending.op), loaded.stored, loaded.reservations);
    const confirmation = confirmationOf(loaded, plan);
    planned.push({ loaded, plan, confirmation });
    if (confirmation === 'update') {
      writes.push(productWriteOf(plan));
      for (const entry of plan.entries) entries.push(entry);
    } else if (confirmation === 'version') {
      versionChecks.push(plan.productId);
    }
    if (!loaded.lockedNow) collectKeys(loaded, plan, keys);
  }
  const write = writes.length > 0 || versionChecks.length > 0
    ? { flushId, products: writes, entries, keys, versionChecks }
    : null;
  return { products: planned, write, inTransaction };
}

/**
 * Refusals judged on a cached state stand only if the row was still at that version; judged under
 * lock they need no check. A product with entries is confirmed by its own versioned UPDATE.
 */
function confirmationOf(loaded: LoadedProduct, plan: ProductPlan): Confirmation {
  if (plan.entries.length > 0) return 'update';
  if (!loaded.lockedNow && plan.decisions.some((decision) => decision.kind === 'refuse')) return 'version';
  return 'none';
}

function productWriteOf(plan: ProductPlan): ProductWrite {
  const changes = plan.changes;
  return {
    productId: plan.productId, baseVersion: plan.baseVersion, netStock: plan.netStock, netReserved: plan.netReserved,
    productName: changes?.productName ?? null, status: changes?.status ?? null,
    minStock: changes?.minStock ?? null, maxStock: changes?.maxStock ?? null,
  };
}

/**
 * The keys of a product judged on a cached state: the cache says nothing of keys committed
 * earlier (by this instance before a restart, or another instance), so the statement looks them
 * up before it writes. An applied key found stored holds its product back; a refused one found
 * stored turns its refusal into a replay.
 */
function collectKeys(loaded: LoadedProduct, plan: ProductPlan, keys: KeyLookup[]): void {
  for (const [index, decision] of plan.decisions.entries()) {
    if (decision.kind !== 'apply' && decision.kind !== 'refuse') continue;
    const idemKey = idempotencyKeyOf(loaded.pendings[index]!.op);
    if (idemKey !== null) keys.push({ productId: plan.productId, idemKey, applies: decision.kind === 'apply' });
  }
}
