// Proves the audit verdict without a database, on seeded random ledgers: an intact chain agrees
// with the row it ends in; deleting any row with a stock change breaks the chain at the next row
// (or, for the last row, makes the stock differ); a reserve row deleted makes reserved differ;
// rows at or below the checkpoint are skipped; a checkpoint cut from a broken history stays reported.
import { describe, expect, it } from 'vitest';
import { LedgerFold, noCheckpoint, type LedgerRow, type LedgerStart } from '../../../src/ledger/ledger-fold.js';
import { randomInt, seedFromEnv, seededRandom } from '../../helpers/seeded-random.js';

const seed = seedFromEnv();
const random = seededRandom(seed);

/** A valid ledger from `start`: deltas and reservations that never take available below 0. */
function ledger(start: LedgerStart, length: number): { rows: LedgerRow[]; stock: number; reserved: number } {
  const rows: LedgerRow[] = [];
  let stock = start.stock;
  let reserved = start.reserved;
  let id = start.logId;
  for (let index = 0; index < length; index += 1) {
    id += randomInt(random, 1, 5);
    const reserve = random() < 0.3;
    const delta = reserve ? 0 : randomInt(random, -(stock - reserved), 20);
    const reservedDelta = reserve ? randomInt(random, -reserved, stock - reserved) : 0;
    rows.push({ id, delta, reservedDelta, beforeStock: stock, afterStock: stock + delta });
    stock += delta;
    reserved += reservedDelta;
  }
  return { rows, stock, reserved };
}

function verdictOf(start: LedgerStart, rows: LedgerRow[], row: { stock: number; reserved: number } | null) {
  const fold = new LedgerFold(1, start);
  for (const logRow of rows) fold.add(logRow);
  return fold.verdict(row);
}

describe(`ledger fold (seed ${seed})`, () => {
  it('agrees with the row an intact chain ends in, from zero and from a checkpoint', () => {
    for (let trial = 0; trial < 200; trial += 1) {
      const start: LedgerStart = trial % 2 === 0
        ? noCheckpoint
        : { logId: 1000, stock: 50, stockBySum: 50, reserved: 5, at: new Date(0) };
      const { rows, stock, reserved } = ledger(start, randomInt(random, 1, 40));
      const verdict = verdictOf(start, rows, { stock, reserved });
      expect(verdict, `trial ${trial}`).toMatchObject({ agrees: true, problems: [], rows_checked: rows.length, ledger: { stock, reserved } });
    }
  });

  it('finds every deleted row that changed stock or reserved', () => {
    for (let trial = 0; trial < 300; trial += 1) {
      const { rows, stock, reserved } = ledger(noCheckpoint, randomInt(random, 2, 40));
      const index = randomInt(random, 0, rows.length - 1);
      const deleted = rows[index]!;
      if (deleted.delta === 0 && deleted.reservedDelta === 0) continue;
      const verdict = verdictOf(noCheckpoint, rows.filter((_, i) => i !== index), { stock, reserved });
      expect(verdict.agrees, `trial ${trial}`).toBe(false);
      if (deleted.delta !== 0) {
        expect(verdict.problems).toContain('stock_differs');
        if (index < rows.length - 1) expect(verdict.first_break?.log_id).toBe(rows[index + 1]!.id);
      }
      if (deleted.reservedDelta !== 0) expect(verdict.problems).toContain('reserved_differs');
    }
  });

  it('skips rows the checkpoint covers and keeps reporting a break it was cut with', () => {
    const start: LedgerStart = { logId: 100, stock: 40, stockBySum: 40, reserved: 0, at: new Date(0) };
    const covered: LedgerRow = { id: 99, delta: -7, reservedDelta: 0, beforeStock: 47, afterStock: 40 };
    const after: LedgerRow = { id: 101, delta: -5, reservedDelta: 0, beforeStock: 40, afterStock: 35 };
    expect(verdictOf(start, [covered, after], { stock: 35, reserved: 0 })).toMatchObject({ agrees: true, rows_checked: 1 });
    expect(verdictOf({ ...start, stockBySum: 41 }, [after], { stock: 35, reserved: 0 }))
      .toMatchObject({ agrees: false, problems: ['checkpoint_break'], row_agrees: true });
    expect(verdictOf(start, [], null)).toMatchObject({ problems: ['no_inventory_row'], last_log_id: 100 });
    expect(verdictOf(noCheckpoint, [], { stock: 3, reserved: 0 })).toMatchObject({ problems: ['no_history'], row_agrees: false });
  });
});
