/**
 * Phase 4 of a flush: the one statement that writes every product's plan, in one round trip.
 * Without a load round it is sent alone and is its own transaction (no BEGIN, no COMMIT to pay
 * for); after a load round it goes out with the COMMIT of the transaction the load opened.
 */
import type pg from 'pg';
import { isConnectionError } from '../../errors.js';
import { applyFlush, flushOutcomeRowsOf } from '../../store/postgres/flush-statements.js';
import { backendPidOf, sendTogether } from '../../store/postgres/pg-internals.js';
import type { PlannedFlush, Written } from './flush-phases.js';
import type { StockEventSettings } from '../../domain/events.js';

const nothingWritten: Written = {
  kind: 'committed', rows: { applied: new Map(), stored: new Map(), versions: new Map() },
};

export async function writeFlush(client: pg.PoolClient, planned: PlannedFlush, stockEvents: StockEventSettings): Promise<Written> {
  const write = planned.write;
  if (write === null && !planned.inTransaction) return nothingWritten;
  const backendPid = backendPidOf(client);
  const [statement, commit] = sendTogether(client, () => [
    write === null ? null : client.query(applyFlush(write, stockEvents)),
    planned.inTransaction ? client.query('COMMIT') : null,
  ] as const);
  const [statementResult, commitResult] = await Promise.allSettled([statement, commit]);
  const failure = [statementResult, commitResult].find((result) => result.status === 'rejected') as PromiseRejectedResult | undefined;
  if (failure !== undefined) {
    const error = failure.reason as Error;
    if (isConnectionError(error)) return { kind: 'connection-lost', error, backendPid };
    // After a failed statement inside the load's transaction, PostgreSQL answers COMMIT with
    // ROLLBACK; alone, the statement was its own transaction and rolled back by itself.
    return { kind: 'rolled-back', error: (statementResult.status === 'rejected' ? statementResult.reason : error) as Error };
  }
  const committed = commitResult.status === 'fulfilled' && commitResult.value !== null ? commitResult.value.command : 'COMMIT';
  if (committed !== 'COMMIT') return { kind: 'rolled-back', error: new Error(`the flush transaction ended with ${committed}`) };
  const rows = statementResult.status === 'fulfilled' && statementResult.value !== null ? statementResult.value.rows : [];
  return { kind: 'committed', rows: flushOutcomeRowsOf(rows) };
}
