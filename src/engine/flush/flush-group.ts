/** Phase 1 of a flush: the batch grouped by product, in product order. */
import type { ProductCache } from '../product-cache.js';
import type { Pending, ProductGroup } from './flush-phases.js';

export function groupByProduct(batch: readonly Pending[], cache: ProductCache): ProductGroup[] {
  const byProduct = new Map<number, Pending[]>();
  for (const pending of batch) {
    const productId = pending.op.productId;
    const pendings = byProduct.get(productId);
    if (pendings === undefined) byProduct.set(productId, [pending]);
    else pendings.push(pending);
  }
  const groups: ProductGroup[] = [];
  for (const [productId, pendings] of byProduct) groups.push({ productId, pendings, cached: cache.get(productId) });
  // Product order everywhere: rows are locked in one global order, and the statement's arrays
  // list products the way `locked` takes them.
  return groups.sort((a, b) => a.productId - b.productId);
}
