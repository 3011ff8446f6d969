/**
 * Proves the stats snapshot source with an injected clock: one load for 100 concurrent callers,
 * the same snapshot until its age bound, a refresh after it, and a failed load not kept.
 */
import { describe, expect, it } from 'vitest';
import { snapshotSource } from '../../../src/http/routes/stats/stats-snapshot.js';

describe('snapshotSource', () => {
  it('loads once per age bound, shares a load in flight, and does not keep a failure', async () => {
    let clock = 0;
    let loads = 0;
    let fail = false;
    const source = snapshotSource(async () => {
      loads += 1;
      if (fail) throw new Error('down');
      return loads;
    }, 1000, () => clock);
    const first = await Promise.all(Array.from({ length: 100 }, () => source.get()));
    expect(loads).toBe(1);
    expect(new Set(first.map((snapshot) => snapshot.value))).toEqual(new Set([1]));
    clock = 999;
    expect((await source.get()).value).toBe(1);
    clock = 1000;
    fail = true;
    await expect(source.get()).rejects.toThrow('down');
    fail = false;
    const fresh = await source.get();
    expect(fresh.value).toBe(3);
    expect(fresh.takenAt.getTime()).toBe(1000);
    expect(source.refreshes).toBe(3);
  });
});

