/**
 * Which partitions of `inventory_logs` should exist, decided from the ones that do and the clock:
 * pure, so the calendar arithmetic is unit-tested without a database. Every bound is a UTC
 * instant; partitions are half-open ranges [from, to) of `created_at`, named after their lower
 * bound (`inventory_logs_p20261130`), and the first one (`inventory_logs_legacy`, the table as it
 * was before partitioning) starts at MINVALUE.
 */
import { assert, assertNever } from '../assert.js';
import type { PartitionInterval } from '../config/config-types.js';
import type { LogPartition, PartitionRange } from '../domain/ledger.js';
import * as limits from '../limits.js';

const dayMs = 86_400_000;

/** The start of the interval holding `time` (UTC midnight; Monday for weeks; the 1st for months). */
export function intervalStart(time: Date, interval: PartitionInterval): Date {
  const day = Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate());
  switch (interval) {
    case 'daily': return new Date(day);
    case 'weekly': return new Date(day - ((time.getUTCDay() + 6) % 7) * dayMs);
    case 'monthly': return new Date(Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), 1));
    default: return assertNever(interval);
  }
}

/** The first interval boundary strictly after `time`. */
export function nextBoundary(time: Date, interval: PartitionInterval): Date {
  const start = intervalStart(time, interval);
  switch (interval) {
    case 'daily': return new Date(start.getTime() + dayMs);
    case 'weekly': return new Date(start.getTime() + 7 * dayMs);
    case 'monthly': return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
    default: return assertNever(interval);
  }
}

export function partitionName(from: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `inventory_logs_p${from.getUTCFullYear()}${pad(from.getUTCMonth() + 1)}${pad(from.getUTCDate())}`;
}

/**
 * The partitions to create so that rows written until `aheadIntervals` whole intervals after the
 * current one have a partition. They continue from the last existing upper bound (so a change of
 * interval starts with one shorter partition up to the next boundary); after a long stop, from the
 * current interval instead (rows cannot be written in the past, so the gap stays empty).
 */
export function partitionsToCreate(
  existing: readonly LogPartition[], now: Date, interval: PartitionInterval, aheadIntervals = limits.partitionsAheadIntervals,
): PartitionRange[] {
  let horizon = nextBoundary(now, interval);
  for (let step = 0; step < aheadIntervals; step += 1) horizon = nextBoundary(horizon, interval);
  const lastTo = existing.reduce<Date | null>((latest, partition) => (latest === null || partition.to > latest ? partition.to : latest), null);
  const current = intervalStart(now, interval);
  let from = lastTo === null || lastTo < current ? current : lastTo;
  const created: PartitionRange[] = [];
  while (from < horizon) {
    const to = nextBoundary(from, interval);
    created.push({ name: partitionName(from), from, to });
    from = to;
  }
  assert(created.length <= limits.partitionsCreatedPerCycleMax, 'more partitions to create than one cycle may');
  return created;
}

/**
 * Partitions wholly older than the retention, oldest first (they are cut in that order, so each
 * product's checkpoint only moves forward). `retentionDays` 0 keeps everything.
 */
export function partitionsPastRetention(existing: readonly LogPartition[], now: Date, retentionDays: number): LogPartition[] {
  if (retentionDays === 0) return [];
  const cutoff = now.getTime() - retentionDays * dayMs;
  return existing.filter((partition) => partition.to.getTime() <= cutoff).sort((a, b) => a.to.getTime() - b.to.getTime());
}
