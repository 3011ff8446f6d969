/**
 * The piscina worker of a full ledger audit: audits one span of product ids, chunk by chunk (one
 * statement each: a snapshot of the chunk's rows, checkpoints and log rows), streaming each chunk
 * through a cursor into `LedgerScan`. It holds one cursor batch and one product's fold, plus at
 * most `findingsMax` findings, so its memory does not grow with the tables. One connection per
 * thread, kept while piscina keeps the thread, without a statement timeout (a chunk with a hot
 * product's whole history is one long statement).
 */
import { workerData } from 'node:worker_threads';
import pg from 'pg';
import * as limits from '../limits.js';
import { selectChunkEnd } from '../store/postgres/ledger-queries.js';
import { connectionOptions, databaseName } from '../store/postgres/pool.js';
import { installPgTypeParsers } from '../store/postgres/pg-types.js';
import type { AuditFindingRow } from '../store/postgres/audit-run-queries.js';
import type { AuditVerdict } from './ledger-fold.js';
import { LedgerScan, scanRange } from './ledger-scan.js';
import type { AuditSpanOutcome, AuditSpanResult, AuditSpanTask, AuditWorkerSetup } from './audit-types.js';

const setup = workerData as AuditWorkerSetup;
let connection: Promise<pg.Client> | null = null;

export default async function auditSpan(task: AuditSpanTask): Promise<AuditSpanOutcome> {
  const used = (connection ??= connect());
  try {
    return { ok: true, result: await scan(await used, task) };
  } catch (error) {
    // A broken connection must not serve the next task.
    if (connection === used) connection = null;
    await used.then((client) => client.end(), () => {}).catch(() => {});
    return { ok: false, detail: (error as Error).message };
  }
}

async function scan(client: pg.Client, task: AuditSpanTask): Promise<AuditSpanResult> {
  const result: AuditSpanResult = { products: 0, rows: 0, disagreements: 0, findings: [] };
  const progress = new BigInt64Array(task.progress);
  const ledgerScan = new LedgerScan((verdict) => {
    result.products += 1;
    if (verdict.agrees) return;
    result.disagreements += 1;
    if (result.findings.length < task.findingsMax) result.findings.push(findingOf(verdict));
  });
  let from = task.fromProductId;
  // Bounded: every chunk ends past its start, within the finite span.
  while (from < task.toProductId) {
    const to = await selectChunkEnd(client, from, task.toProductId, limits.auditChunkProducts);
    const productsBefore = result.products;
    const rows = await scanRange(client, from, to, ledgerScan, limits.auditCursorRows);
    ledgerScan.finish();
    result.rows += rows;
    Atomics.add(progress, 0, BigInt(result.products - productsBefore));
    Atomics.add(progress, 1, BigInt(rows));
    from = to;
  }
  return result;
}

function findingOf(verdict: AuditVerdict): AuditFindingRow {
  return {
    product_id: verdict.product_id, problems: verdict.problems, stock: verdict.row?.stock ?? null,
    reserved: verdict.row?.reserved ?? null, ledger_stock: verdict.ledger.stock, ledger_reserved: verdict.ledger.reserved,
    first_break_log_id: verdict.first_break?.log_id ?? null, rows_checked: verdict.rows_checked,
  };
}

async function connect(): Promise<pg.Client> {
  installPgTypeParsers();
  const postgres = setup.postgres;
  const client = new pg.Client({
    ...connectionOptions(postgres, databaseName(postgres)),
    connectionTimeoutMillis: postgres.connect_timeout_ms,
    application_name: 'inventory-ledger-audit',
  });
  // Errors of an idle connection surface on its next query; without a listener they would crash the thread.
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('SET statement_timeout = 0');
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  return client;
}
