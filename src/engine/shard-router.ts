/**
 * Routes a product to its shard by a stable hash, so every operation on one product meets the same
 * serial actor in this process. Stable across restarts and instances (no seed), but correctness
 * never depends on it: two instances may flush the same product, and the versioned UPDATE settles it.
 */
import { assert } from '../assert.js';

/** A 32-bit mix of both halves of a safe integer (murmur3's finaliser), so sequential ids spread evenly. */
export function productHash(productId: number): number {
  assert(Number.isSafeInteger(productId) && productId > 0);
  let h = (productId % 0x1_0000_0000) ^ Math.floor(productId / 0x1_0000_0000);
  h = Math.imul(h ^ (h >>> 16), 0x85eb_ca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2_ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function shardOf(productId: number, shardCount: number): number {
  return productHash(productId) % shardCount;
}
