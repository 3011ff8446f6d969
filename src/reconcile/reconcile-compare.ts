/**
 * The decisions of a reconciliation, pure and synchronous, so they can be tested on their own.
 *
 * A product is looked at up to three times:
 * 1. Scan: the cursor row against the Redis value (MGET). Differing beyond the rule, or a missing
 *    key, makes it a candidate. The cursor's snapshot may be seconds old, so this proves nothing.
 * 2. Second look, at once: Redis first, then the row afresh. In `cache` mode Redis is written after
 *    each commit with the row version, so a Redis version equal to the row's means Redis holds what
 *    it was last told: still differing, it is a diff. A Redis version above the row's is a diff
 *    too: no write in flight can lower it, and it happens (a database restored from a backup or
 *    recreated under the same key prefix leaves Redis versions ahead of the rows, and the version
 *    guard then refuses every post-commit write; a use_db fix writes both keys to repair that). So
 *    is a row nobody has written for `quietAfterMs`: any post-commit write for it has landed or
 *    failed by then (a Redis restart, every key missing, is decided here without waiting); the
 *    flush stamps `updated_at` with the clock when it writes the row, not its transaction's start,
 *    so a flush that waited for a lock does not look quiet the moment it commits. Otherwise (a Redis
 *    version behind a fresh row, a missing key or version) a write may still be in flight: the
 *    candidate settles. In `seckill` mode the orders in flight are not in the DB yet: every
 *    candidate settles.
 * 3. Settling look, once the in-flight window has passed: still differing and the row still at the
 *    version of the second look (nothing committed in between) is a diff; a row that moved is in
 *    motion (its own commits rewrite Redis, or its orders are arriving) and is left to the next run.
 * Redis is always read before the row, so a commit landing between the two reads makes the row look
 * newer than Redis, never the reverse.
 */
import type { CompareRule } from './reconcile-types.js';

/** The integer a Redis value holds; null when the key is missing or does not hold an integer. */
export function parseRedisStock(raw: string | null | undefined): number | null {
  if (raw === null || raw === undefined) return null;
  // Called once per scanned row: a number compare and a string compare instead of a regular
  // expression. Only the canonical spelling counts ("007", "1e3", " 5" are not integers we wrote).
  const value = Number(raw);
  return Number.isSafeInteger(value) && String(value) === raw ? value : null;
}

/** What a diff records: Redis minus the DB available, a missing key counting as 0. */
export function diffOf(dbAvailable: number, redis: number | null): number {
  return (redis ?? 0) - dbAvailable;
}

/**
 * `cache`: |redis − db| > tolerance. `seckill`: the front end deducts in Redis before the order
 * reaches the DB, so Redis may sit below the DB by the orders in flight: below by more than
 * tolerance + inflightAllowance, or above by more than tolerance (stock Redis would sell that the
 * DB does not have), is a candidate. A missing key always is.
 */
export function differs(rule: CompareRule, dbAvailable: number, redis: number | null): boolean {
  if (redis === null) return true;
  const diff = redis - dbAvailable;
  switch (rule.mode) {
    case 'cache': return Math.abs(diff) > rule.tolerance;
    case 'seckill': return diff > rule.tolerance || -diff > rule.tolerance + rule.inflightAllowance;
  }
}

export interface FreshRow {
  available: number;
  version: number;
  /** Milliseconds since the row was last written (its `updated_at`). */
  quiet_ms: number;
}

export type SecondLookVerdict = 'gone' | 'in-sync' | 'diff' | 'unsettled';

/** `row` undefined: no longer an active product. `redisVersion` null: no version key. */
export function judgeSecondLook(
  rule: CompareRule, row: FreshRow | undefined, redis: number | null, redisVersion: number | null,
): SecondLookVerdict {
  if (row === undefined) return 'gone';
  if (!differs(rule, row.available, redis)) return 'in-sync';
  switch (rule.mode) {
    case 'cache': {
      const redisCaughtUp = redis !== null && redisVersion !== null && redisVersion >= row.version;
      return redisCaughtUp || row.quiet_ms > rule.quietAfterMs ? 'diff' : 'unsettled';
    }
    case 'seckill':
      return 'unsettled';
  }
}

export type SettlingVerdict = 'gone' | 'in-sync' | 'diff' | 'moved';

export function judgeSettlingLook(
  rule: CompareRule, secondLookVersion: number, row: FreshRow | undefined, redis: number | null,
): SettlingVerdict {
  if (row === undefined) return 'gone';
  if (!differs(rule, row.available, redis)) return 'in-sync';
  return row.version === secondLookVersion ? 'diff' : 'moved';
}

