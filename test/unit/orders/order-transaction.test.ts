// Proves the bounds and the answers of order transactions without a database (a fake pool): at most
// `orderTransactionsMax` run at once, the waiting line holds exactly `orderTransactionsWaitingMax`
// and the next is OVERLOADED, waiters run in arrival order; a connection lost before COMMIT is
// DATABASE_UNAVAILABLE, a COMMIT lost with PostgreSQL unreachable until the deadline is
// COMMIT_OUTCOME_UNKNOWN, and a refusal thrown by the work rolls back and reaches the caller as is.
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { AppError, errors } from '../../../src/errors.js';
import * as limits from '../../../src/limits.js';
import { OrderTransactions } from '../../../src/orders/order-transaction.js';

class FakeClient {
  readonly sent: string[] = [];
  released: unknown = 'not yet';
  processID = 4242;
  constructor(private readonly fail: (text: string) => Error | null) {}
  async query(text: string | { text: string }): Promise<{ rows: []; rowCount: number }> {
    const sql = typeof text === 'string' ? text : text.text;
    this.sent.push(sql);
    const error = this.fail(sql);
    if (error !== null) throw error;
    return { rows: [], rowCount: 0 };
  }
  release(error?: unknown): void { this.released = error ?? null; }
}

function fakePool(fail: (text: string) => Error | null = () => null, connectFails = false) {
  const clients: FakeClient[] = [];
  const pool = {
    connect: async () => {
      if (connectFails && clients.length > 0) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      const client = new FakeClient(fail);
      clients.push(client);
      return client;
    },
  } as unknown as pg.Pool;
  return { pool, clients };
}

const connectionLost = () => Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });

describe('OrderTransactions', () => {
  it('runs at most orderTransactionsMax at once, queues exactly orderTransactionsWaitingMax, refuses the next', async () => {
    const { pool } = fakePool();
    const transactions = new OrderTransactions({ pool, outcomeResolveMs: 100 });
    let running = 0;
    let runningMax = 0;
    const order: number[] = [];
    const gates: (() => void)[] = [];
    const start = (n: number) => transactions.run(async () => {
      running += 1;
      runningMax = Math.max(runningMax, running);
      order.push(n);
      await new Promise<void>((resolve) => gates.push(resolve));
      running -= 1;
      return { commit: true, value: n };
    }, async () => null);
    const total = limits.orderTransactionsMax + limits.orderTransactionsWaitingMax;
    const accepted = Array.from({ length: total }, (_, n) => start(n));
    const refused = await start(total).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('OVERLOADED');
    // Let every transaction finish, one gate at a time as they reach it.
    while (order.length < total || gates.length > 0) {
      await new Promise((resolve) => setImmediate(resolve));
      for (const open of gates.splice(0)) open();
    }
    expect(await Promise.all(accepted)).toEqual(Array.from({ length: total }, (_, n) => n));
    expect(runningMax).toBe(limits.orderTransactionsMax);
    expect(order).toEqual(Array.from({ length: total }, (_, n) => n));
  });

  it('answers DATABASE_UNAVAILABLE for a connection lost before COMMIT, and discards the client', async () => {
    const { pool, clients } = fakePool((sql) => (sql.startsWith('SELECT') ? connectionLost() : null));
    const transactions = new OrderTransactions({ pool, outcomeResolveMs: 100 });
    const error = await transactions.run(async (client) => {
      await client.query('SELECT 1');
      return { commit: true, value: 1 };
    }, async () => 1).catch((e: unknown) => e);
    expect((error as AppError).code).toBe('DATABASE_UNAVAILABLE');
    expect(clients[0]!.sent).toEqual(['BEGIN', 'SELECT 1']);
    expect(clients[0]!.released).toBeInstanceOf(Error);
  });

  it('rolls back and passes on a refusal thrown by the work', async () => {
    const { pool, clients } = fakePool();
    const transactions = new OrderTransactions({ pool, outcomeResolveMs: 100 });
    const error = await transactions.run(async () => { throw errors.orderNotFound('o'); }, async () => null).catch((e: unknown) => e);
    expect((error as AppError).code).toBe('ORDER_NOT_FOUND');
    expect(clients[0]!.sent).toEqual(['BEGIN', 'ROLLBACK']);
    expect(clients[0]!.released).toBeNull();
  });

  it('answers COMMIT_OUTCOME_UNKNOWN when a lost COMMIT cannot be resolved before the deadline', async () => {
    const { pool } = fakePool((sql) => (sql === 'COMMIT' ? connectionLost() : null), true);
    const transactions = new OrderTransactions({ pool, outcomeResolveMs: 300 });
    let asked = 0;
    const error = await transactions.run(async () => ({ commit: true, value: 1 }), async () => { asked += 1; return 1; })
      .catch((e: unknown) => e);
    expect((error as AppError).code).toBe('COMMIT_OUTCOME_UNKNOWN');
    expect(asked).toBe(0);
  });
});
