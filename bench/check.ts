/**
 * The correctness check after every measured run on a service: a fast wrong answer is a failed
 * benchmark. Between a snapshot taken when the server was quiet before the run and one after it
 * (every answer received, so every acknowledged delta committed), the stock must have moved by
 * exactly the acknowledged deltas, with exactly one log row (and, keyed, one idempotency record)
 * each. Over the whole run, every product's stock must equal its seed plus its log rows' deltas,
 * each log row must start where the previous one of its product ended, and Redis must hold each
 * touched product's available stock.
 */
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Tally } from './scenarios.js';

export interface Snapshot { stockSum: number; logRows: number; keyRows: number; lastLogId: number }

export interface CheckResult {
  passed: boolean;
  /** False when the run had timeouts or was cut: unacknowledged requests may have committed. */
  exact: boolean;
  stockMoved: number;
  stockExpected: number;
  logRowsAdded: number;
  keyRowsAdded: number;
  keyRowsExpected: number;
  productsOffTheirLog: number;
  logChainBreaks: number;
  redisMismatches: number;
  /** Transactions that wrote the run's log rows (batched: flushes; naive: one per delta), for the mean batch size. */
  writeTransactions: number;
  problems: string[];
}

export async function snapshot(client: pg.Client): Promise<Snapshot> {
  const { rows } = await client.query<{ stock_sum: string; log_rows: string; key_rows: string; last_log_id: string }>(`
    SELECT (SELECT coalesce(sum(stock), 0) FROM inventories)::text AS stock_sum,
           (SELECT count(*) FROM inventory_logs)::text AS log_rows,
           (SELECT count(*) FROM inventory_idempotency)::text AS key_rows,
           (SELECT coalesce(max(id), 0) FROM inventory_logs)::text AS last_log_id`);
  const row = rows[0]!;
  return { stockSum: Number(row.stock_sum), logRows: Number(row.log_rows), keyRows: Number(row.key_rows), lastLogId: Number(row.last_log_id) };
}

/** Waits until nothing changes for a while: the server has answered (and committed) what it took. */
export async function quietSnapshot(client: pg.Client, quietMs = 300, giveUpMs = 15_000): Promise<Snapshot> {
  const giveUpAt = Date.now() + giveUpMs;
  let last = await snapshot(client);
  while (Date.now() < giveUpAt) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    const next = await snapshot(client);
    if (next.stockSum === last.stockSum && next.logRows === last.logRows && next.keyRows === last.keyRows) return next;
    last = next;
  }
  throw new Error(`the server did not go quiet within ${giveUpMs} ms`);
}

export interface CheckInput {
  client: pg.Client;
  redis: Redis;
  redisPrefix: string;
  before: Snapshot;
  tally: Tally;
  keyed: boolean;
  seedStock: number;
  /** Every request was answered (no timeout, no cut-off run). */
  allAnswered: boolean;
}

export async function checkRun(input: CheckInput): Promise<CheckResult> {
  const { client, before, tally } = input;
  const after = await snapshot(client);
  const [offLog] = (await client.query<{ n: number }>(`
    SELECT count(*)::int AS n
      FROM inventories i
      LEFT JOIN (SELECT product_id, sum(delta) AS total FROM inventory_logs GROUP BY product_id) l USING (product_id)
     WHERE i.stock <> $1::bigint + coalesce(l.total, 0)`, [input.seedStock])).rows;
  const [breaks] = (await client.query<{ n: number }>(`
    SELECT count(*)::int AS n FROM (
      SELECT before_stock, lag(after_stock) OVER (PARTITION BY product_id ORDER BY id) AS previous_after
        FROM inventory_logs) chained
     WHERE previous_after IS NOT NULL AND before_stock <> previous_after`)).rows;
  const [transactions] = (await client.query<{ n: number }>(`
    SELECT count(DISTINCT coalesce(flush_id, -id))::int AS n FROM inventory_logs WHERE id > $1`, [before.lastLogId])).rows;
  const redisMismatches = await countRedisMismatches(client, input.redis, input.redisPrefix);
  const result: CheckResult = {
    passed: false,
    exact: input.allAnswered && tally.unreadable === 0,
    stockMoved: after.stockSum - before.stockSum,
    stockExpected: -tally.deltasAcked,
    logRowsAdded: after.logRows - before.logRows,
    keyRowsAdded: after.keyRows - before.keyRows,
    keyRowsExpected: input.keyed ? tally.deltasAcked : 0,
    productsOffTheirLog: offLog!.n,
    logChainBreaks: breaks!.n,
    redisMismatches,
    writeTransactions: transactions!.n,
    problems: [],
  };
  const problems = result.problems;
  if (!result.exact) problems.push('not every request was answered: committed-but-unacknowledged deltas make the check inexact');
  if (result.stockMoved !== result.stockExpected) problems.push(`stock moved by ${result.stockMoved}, acknowledged deltas sum to ${result.stockExpected}`);
  if (result.logRowsAdded !== tally.deltasAcked) problems.push(`${result.logRowsAdded} log rows for ${tally.deltasAcked} acknowledged deltas`);
  if (result.keyRowsAdded !== result.keyRowsExpected) problems.push(`${result.keyRowsAdded} idempotency records, expected ${result.keyRowsExpected}`);
  if (result.productsOffTheirLog > 0) problems.push(`${result.productsOffTheirLog} products whose stock is not seed + their logged deltas`);
  if (result.logChainBreaks > 0) problems.push(`${result.logChainBreaks} log rows whose before_stock is not the previous row's after_stock`);
  if (redisMismatches > 0) problems.push(`${redisMismatches} touched products whose Redis value is not the DB's available stock`);
  result.passed = problems.length === 0;
  return result;
}

/** Products changed during the run (version > 1) whose Redis key is missing or differs from `available`. */
async function countRedisMismatches(client: pg.Client, redis: Redis, prefix: string): Promise<number> {
  const { rows } = await client.query<{ product_id: string; available: string }>(
    'SELECT product_id::text, available::text FROM inventories WHERE version > 1 ORDER BY product_id');
  let mismatches = 0;
  const chunkRows = 1000;
  for (let start = 0; start < rows.length; start += chunkRows) {
    const chunk = rows.slice(start, start + chunkRows);
    const values = await redis.mget(...chunk.map((row) => `${prefix}seckill:stock:${row.product_id}`));
    chunk.forEach((row, index) => {
      if (values[index] !== row.available) mismatches += 1;
    });
  }
  return mismatches;
}
