/**
 * The states an actor trusts, least recently used first. Bounded: past `capacity` the oldest entry
 * goes, and the next flush of that product loads it again (under its row lock). A flush takes its
 * products' states when it starts, so an eviction during the flush does not touch it.
 */
import { assert } from '../assert.js';
import type { ProductState } from '../domain/inventory.js';

export class ProductCache {
  private readonly states = new Map<number, ProductState>();

  constructor(private readonly capacity: number) {
    assert(Number.isInteger(capacity) && capacity > 0);
  }

  get(productId: number): ProductState | undefined {
    const state = this.states.get(productId);
    if (state !== undefined) {
      // Map keeps insertion order: re-inserting marks the entry most recently used.
      this.states.delete(productId);
      this.states.set(productId, state);
    }
    return state;
  }

  has(productId: number): boolean {
    return this.states.has(productId);
  }

  set(state: ProductState): void {
    this.states.delete(state.productId);
    this.states.set(state.productId, state);
    if (this.states.size > this.capacity) {
      const oldest = this.states.keys().next().value as number;
      this.states.delete(oldest);
    }
  }

  /** Forget a product: another writer changed it, or a flush's outcome is unknown. */
  delete(productId: number): void {
    this.states.delete(productId);
  }
}
