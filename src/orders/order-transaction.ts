/**
 * One order operation = one PostgreSQL transaction, answered truthfully whatever happens to the
 * connection:
 * - a failure before COMMIT was sent applied nothing (the transaction cannot commit without it);
 * - a connection lost while COMMIT was in flight may or may not have committed: the old backend
 *   is ended first (until it is gone its transaction may still commit), then the order's row —
 *   written in the same transaction — says whether it landed (`OutcomeCheck`). When PostgreSQL
 *   cannot be asked before the deadline, the answer is COMMIT_OUTCOME_UNKNOWN, never "nothing
 *   was applied".
 * Transactions run through a bounded gate: each holds a read-pool connection for a few round
 * trips, and a full waiting line is answered OVERLOADED rather than queued without bound.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { assert } from '../assert.js';
import { AppError, databaseFailureOf, errors, isConnectionError } from '../errors.js';
import * as limits from '../limits.js';
import { endBackend } from '../store/postgres/flush-outcome-queries.js';
import { backendPidOf } from '../store/postgres/pg-internals.js';

/** What the work inside the transaction decided: commit and answer `value`, or roll back and answer it. */
export type TransactionEnd<T> = { commit: true; value: T } | { commit: false; value: T };

/** After a lost COMMIT, on a fresh connection: the answer if the transaction landed, else null. */
export type OutcomeCheck<T> = (client: pg.ClientBase) => Promise<T | null>;

export interface OrderTransactionsOptions {
  pool: pg.Pool;
  /** How long to keep asking PostgreSQL whether a lost COMMIT landed (`limits.outcomeResolveMs`). */
  outcomeResolveMs: number;
}

export class OrderTransactions {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly options: OrderTransactionsOptions) {}

  /** Runs `work` in a transaction; `landed` resolves a lost COMMIT. */
  async run<T>(work: (client: pg.ClientBase) => Promise<TransactionEnd<T>>, landed: OutcomeCheck<T>): Promise<T> {
    await this.enter();
    try {
      return await this.transaction(work, landed);
    } finally {
      this.leave();
    }
  }

  /** A read outside any transaction, through the same gate. */
  async read<T>(query: (client: pg.ClientBase) => Promise<T>): Promise<T> {
    await this.enter();
    try {
      return await withClient(this.options.pool, query);
    } catch (error) {
      throw error instanceof AppError ? error : databaseFailureOf(error) ?? error;
    } finally {
      this.leave();
    }
  }

  private async enter(): Promise<void> {
    if (this.running < limits.orderTransactionsMax) {
      this.running += 1;
      return;
    }
    if (this.waiting.length >= limits.orderTransactionsWaitingMax) throw errors.overloaded('order holds waiting');
    // The slot is handed over by `leave`, so `running` stays counted without a gap.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private leave(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.running -= 1;
    assert(this.running >= 0 && this.running <= limits.orderTransactionsMax);
  }

  private async transaction<T>(work: (client: pg.ClientBase) => Promise<TransactionEnd<T>>, landed: OutcomeCheck<T>): Promise<T> {
    const client = await this.options.pool.connect().catch((error: unknown) => {
      throw databaseFailureOf(error) ?? error;
    });
    const backendPid = backendPidOf(client);
    let end: TransactionEnd<T>;
    try {
      await client.query('BEGIN');
      end = await work(client);
      if (!end.commit) await client.query('ROLLBACK');
    } catch (error) {
      // COMMIT was not sent: nothing of the transaction can have been applied.
      if (isConnectionError(error)) {
        client.release(error as Error);
        throw errors.databaseUnavailable();
      }
      await client.query('ROLLBACK').catch(() => {});
      client.release();
      throw error instanceof AppError ? error : databaseFailureOf(error) ?? error;
    }
    if (!end.commit) {
      client.release();
      return end.value;
    }
    try {
      await client.query('COMMIT');
    } catch (error) {
      client.release(error as Error);
      if (!isConnectionError(error)) throw databaseFailureOf(error) ?? error;
      return this.afterLostCommit(backendPid, landed);
    }
    client.release();
    return end.value;
  }

  private async afterLostCommit<T>(backendPid: number | null, landed: OutcomeCheck<T>): Promise<T> {
    const giveUpAt = performance.now() + this.options.outcomeResolveMs;
    while (performance.now() < giveUpAt) {
      try {
        const answer = await withClient(this.options.pool, async (client) => {
          if (backendPid !== null && !(await endBackend(client, backendPid))) return undefined;
          return { value: await landed(client) };
        });
        if (answer !== undefined) {
          if (answer.value === null) throw errors.databaseUnavailable();
          return answer.value;
        }
      } catch (error) {
        if (error instanceof AppError) throw error;
        // PostgreSQL is still unreachable: ask again after a pause, until the deadline.
      }
      await sleep(limits.outcomeResolveRetryMs);
    }
    throw errors.commitOutcomeUnknown();
  }
}

async function withClient<T>(pool: pg.Pool, use: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    const value = await use(client);
    client.release();
    return value;
  } catch (error) {
    // A client whose connection failed is discarded, not handed to the next caller.
    client.release(isConnectionError(error) ? error as Error : undefined);
    throw error;
  }
}
