/**
 * Proves the pure decisions of a reconciliation (candidate rule per Redis mode, the verdicts of the
 * second and settling looks, alert levels, span splitting) case by case at their boundaries, and
 * that spans always cover the id range exactly, over seeded random ranges.
 */
import { describe, expect, it } from 'vitest';
import {
  differs, judgeSecondLook, judgeSettlingLook, parseRedisStock,
} from '../../../src/reconcile/reconcile-compare.js';
import { splitSpan } from '../../../src/reconcile/reconcile-report.js';
import { diffLevel } from '../../../src/domain/alerts.js';
import type { CompareRule } from '../../../src/reconcile/reconcile-types.js';
import { randomInt, seededRandom, seedFromEnv } from '../../helpers/seeded-random.js';

const cache: CompareRule = { mode: 'cache', tolerance: 10, inflightAllowance: 100, quietAfterMs: 1600 };
const seckill: CompareRule = { ...cache, mode: 'seckill' };

describe('reconciliation decisions', () => {
  it('parses only integers from Redis; anything else counts as missing', () => {
    expect(parseRedisStock('42')).toBe(42);
    expect(parseRedisStock('-3')).toBe(-3);
    expect(parseRedisStock(null)).toBeNull();
    expect(parseRedisStock('4.5')).toBeNull();
    expect(parseRedisStock('abc')).toBeNull();
    expect(parseRedisStock('')).toBeNull();
  });

  it('cache mode: a candidate beyond tolerance either way, or when the key is missing', () => {
    expect(differs(cache, 500, 510)).toBe(false);
    expect(differs(cache, 500, 490)).toBe(false);
    expect(differs(cache, 500, 511)).toBe(true);
    expect(differs(cache, 500, 489)).toBe(true);
    expect(differs(cache, 0, null)).toBe(true);
  });

  it('seckill mode: Redis may sit below the DB by tolerance + in-flight allowance, above only by tolerance', () => {
    expect(differs(seckill, 500, 390)).toBe(false);
    expect(differs(seckill, 500, 389)).toBe(true);
    expect(differs(seckill, 500, 510)).toBe(false);
    expect(differs(seckill, 500, 511)).toBe(true);
    expect(differs(seckill, 500, null)).toBe(true);
  });

  it('second look in cache mode: Redis at the row version is decisive, a stale or missing one settles unless the row is quiet', () => {
    const fresh = { available: 500, version: 7, quiet_ms: 5 };
    const quiet = { ...fresh, quiet_ms: 1601 };
    expect(judgeSecondLook(cache, undefined, 600, 7)).toBe('gone');
    expect(judgeSecondLook(cache, fresh, 505, 6)).toBe('in-sync');
    expect(judgeSecondLook(cache, fresh, 600, 7)).toBe('diff');
    expect(judgeSecondLook(cache, fresh, 600, 8)).toBe('diff'); // Redis version ahead of the row (a restored database)
    expect(judgeSecondLook(cache, fresh, 600, 6)).toBe('unsettled');
    expect(judgeSecondLook(cache, fresh, 600, null)).toBe('unsettled');
    expect(judgeSecondLook(cache, fresh, null, 7)).toBe('unsettled');
    expect(judgeSecondLook(cache, { ...fresh, quiet_ms: 1600 }, null, 7)).toBe('unsettled');
    expect(judgeSecondLook(cache, quiet, null, 7)).toBe('diff');
    expect(judgeSecondLook(cache, quiet, 600, 6)).toBe('diff');
  });

  it('second look in seckill mode always settles a difference, however quiet the row', () => {
    expect(judgeSecondLook(seckill, { available: 500, version: 7, quiet_ms: 1e9 }, 700, 7)).toBe('unsettled');
    expect(judgeSecondLook(seckill, { available: 500, version: 7, quiet_ms: 0 }, 450, 7)).toBe('in-sync');
  });

  it('settling look: a diff only if the row did not move since the second look', () => {
    const row = { available: 500, version: 7, quiet_ms: 0 };
    expect(judgeSettlingLook(cache, 7, row, 600)).toBe('diff');
    expect(judgeSettlingLook(cache, 6, row, 600)).toBe('moved');
    expect(judgeSettlingLook(cache, 7, row, 500)).toBe('in-sync');
    expect(judgeSettlingLook(cache, 7, undefined, 600)).toBe('gone');
  });

  it('diff alert level: error beyond alert_threshold, warning up to it', () => {
    expect(diffLevel(50, 50)).toBe('warning');
    expect(diffLevel(-50, 50)).toBe('warning');
    expect(diffLevel(51, 50)).toBe('error');
    expect(diffLevel(-51, 50)).toBe('error');
  });

  it('splits an id range into contiguous spans that cover it exactly', () => {
    expect(splitSpan(1, 3, 8)).toEqual([
      { fromProductId: 1, toProductId: 2 }, { fromProductId: 2, toProductId: 3 }, { fromProductId: 3, toProductId: 4 },
    ]);
    expect(splitSpan(5, 5, 4)).toEqual([{ fromProductId: 5, toProductId: 6 }]);
    const top = Number.MAX_SAFE_INTEGER;
    expect(splitSpan(1, top, 2).at(-1)!.toProductId).toBe(top + 1);
    const seed = seedFromEnv();
    const random = seededRandom(seed);
    for (let trial = 0; trial < 500; trial += 1) {
      const min = randomInt(random, 1, 1_000_000);
      const max = min + randomInt(random, 0, 99_999);
      const count = randomInt(random, 1, 64);
      const spans = splitSpan(min, max, count);
      expect(spans[0]!.fromProductId, `seed ${seed}`).toBe(min);
      expect(spans.at(-1)!.toProductId, `seed ${seed}`).toBe(max + 1);
      expect(spans.length, `seed ${seed}`).toBe(Math.min(count, max - min + 1));
      for (const [index, span] of spans.entries()) {
        expect(span.toProductId > span.fromProductId, `seed ${seed}`).toBe(true);
        if (index > 0) expect(span.fromProductId, `seed ${seed}`).toBe(spans[index - 1]!.toProductId);
      }
    }
  });
});
