// Proves the partition calendar without a database: UTC interval bounds for daily, weekly and
// monthly partitions, partitions created ahead without gaps or overlaps from the last existing bound
// (also across an interval change and after a long stop), and only partitions wholly past the
// retention chosen for cutting, oldest first.
import { describe, expect, it } from 'vitest';
import type { PartitionInterval } from '../../../src/config/config-types.js';
import type { LogPartition } from '../../../src/domain/ledger.js';
import { intervalStart, nextBoundary, partitionName, partitionsPastRetention, partitionsToCreate } from '../../../src/ledger/partition-plan.js';

const at = (iso: string) => new Date(iso);

describe('partition calendar', () => {
  it('truncates to UTC day, ISO week (Monday) and month, and steps to the next boundary', () => {
    const time = at('2026-12-02T23:59:59.999Z'); // a Wednesday
    expect(intervalStart(time, 'daily')).toEqual(at('2026-12-02T00:00:00Z'));
    expect(intervalStart(time, 'weekly')).toEqual(at('2026-11-30T00:00:00Z'));
    expect(intervalStart(time, 'monthly')).toEqual(at('2026-12-01T00:00:00Z'));
    expect(nextBoundary(time, 'daily')).toEqual(at('2026-12-03T00:00:00Z'));
    expect(nextBoundary(time, 'weekly')).toEqual(at('2026-12-07T00:00:00Z'));
    expect(nextBoundary(time, 'monthly')).toEqual(at('2027-01-01T00:00:00Z'));
    // A boundary itself starts its interval; the next boundary is strictly later.
    expect(nextBoundary(at('2026-12-07T00:00:00Z'), 'weekly')).toEqual(at('2026-12-14T00:00:00Z'));
    expect(intervalStart(at('2026-12-06T12:00:00Z'), 'weekly')).toEqual(at('2026-11-30T00:00:00Z')); // Sunday
    expect(partitionName(at('2027-01-05T00:00:00Z'))).toBe('inventory_logs_p20270105');
  });

  it.each<PartitionInterval>(['daily', 'weekly', 'monthly'])('creates %s partitions that tile the time ahead from the legacy bound', (interval) => {
    const now = at('2026-12-02T10:00:00Z');
    const legacy: LogPartition = { name: 'inventory_logs_legacy', from: null, to: at('2026-12-03T00:00:00Z') };
    const created = partitionsToCreate([legacy], now, interval, 3);
    expect(created[0]!.from).toEqual(legacy.to);
    for (let index = 1; index < created.length; index += 1) expect(created[index]!.from).toEqual(created[index - 1]!.to);
    let horizon = nextBoundary(now, interval);
    for (let step = 0; step < 3; step += 1) horizon = nextBoundary(horizon, interval);
    expect(created.at(-1)!.to).toEqual(horizon);
    expect(new Set(created.map((range) => range.name)).size).toBe(created.length);
    // Nothing more to do once they exist.
    expect(partitionsToCreate([legacy, ...created], now, interval, 3)).toEqual([]);
  });

  it('after an interval change starts with a shorter partition up to the next boundary', () => {
    const existing: LogPartition[] = [{ name: 'inventory_logs_p20261202', from: at('2026-12-02T00:00:00Z'), to: at('2026-12-03T00:00:00Z') }];
    const created = partitionsToCreate(existing, at('2026-12-02T10:00:00Z'), 'monthly', 1);
    expect(created.map((range) => [range.from.toISOString(), range.to.toISOString()])).toEqual([
      ['2026-12-03T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
      ['2027-01-01T00:00:00.000Z', '2027-02-01T00:00:00.000Z'],
    ]);
  });

  it('after a long stop starts at the current interval, leaving the past gap empty', () => {
    const existing: LogPartition[] = [{ name: 'inventory_logs_legacy', from: null, to: at('2026-01-01T00:00:00Z') }];
    const created = partitionsToCreate(existing, at('2026-12-02T10:00:00Z'), 'daily', 2);
    expect(created.map((range) => range.name)).toEqual(['inventory_logs_p20261202', 'inventory_logs_p20261203', 'inventory_logs_p20261204']);
  });

  it('cuts only partitions wholly past the retention, oldest first, and none with retention 0', () => {
    const partitions: LogPartition[] = [
      { name: 'inventory_logs_p20260903', from: at('2026-09-03T00:00:00Z'), to: at('2026-09-04T00:00:00Z') },
      { name: 'inventory_logs_legacy', from: null, to: at('2026-09-03T00:00:00Z') },
      { name: 'inventory_logs_p20260904', from: at('2026-09-04T00:00:00Z'), to: at('2026-09-05T00:00:00Z') },
    ];
    // 90 days before 2026-12-02T00:00Z is 2026-09-03T00:00Z: only the legacy partition ends by then.
    expect(partitionsPastRetention(partitions, at('2026-12-02T00:00:00Z'), 90).map((p) => p.name)).toEqual(['inventory_logs_legacy']);
    expect(partitionsPastRetention(partitions, at('2026-12-03T00:00:00Z'), 90).map((p) => p.name))
      .toEqual(['inventory_logs_legacy', 'inventory_logs_p20260903']);
    expect(partitionsPastRetention(partitions, at('2030-01-01T00:00:00Z'), 0)).toEqual([]);
  });
});
