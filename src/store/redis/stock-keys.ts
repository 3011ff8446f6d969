/**
 * Redis key names. `seckill:stock:<id>` is the flash-sale front end's counter and keeps its exact
 * name. Its companion version key carries the stock key as a hash tag, so on a Redis Cluster both
 * live in the same slot and one Lua script may touch the pair.
 */
export interface StockKeys {
  stock(productId: number): string;
  version(productId: number): string;
  /** The product id of a stock key, or null for any other key. */
  productIdOf(key: string): number | null;
  /**
   * The key that says Redis was filled from PostgreSQL (it holds the id of the rebuild that did
   * it). A Redis that restarted empty, or whose prefix was flushed, has lost it with the stock keys.
   */
  readonly filledMarker: string;
}

export function stockKeys(prefix: string): StockKeys {
  const stockPrefix = `${prefix}seckill:stock:`;
  return {
    filledMarker: `${prefix}inventory:redis-filled`,
    stock: (productId) => `${stockPrefix}${productId}`,
    version: (productId) => `{${stockPrefix}${productId}}:version`,
    productIdOf: (key) => {
      if (!key.startsWith(stockPrefix)) return null;
      const id = Number(key.slice(stockPrefix.length));
      return Number.isSafeInteger(id) && id > 0 ? id : null;
    },
  };
}
