/**
 * The audit of one product: its ledger streamed from its checkpoint through a cursor (one
 * statement, one snapshot of row, checkpoint and log rows) and folded into a verdict. The read
 * pool's statement timeout bounds it; a product whose history takes longer to read is audited by a
 * full run, whose workers have none.
 */
import type pg from 'pg';
import { errors } from '../errors.js';
import * as limits from '../limits.js';
import type { AuditVerdict } from './ledger-fold.js';
import { LedgerScan, scanRange } from './ledger-scan.js';

export async function auditProduct(pool: pg.Pool, productId: number): Promise<AuditVerdict> {
  const verdicts: AuditVerdict[] = [];
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    const scan = new LedgerScan((verdict) => verdicts.push(verdict));
    await scanRange(client, productId, productId + 1, scan, limits.auditCursorRows);
    scan.finish();
  } catch (error) {
    failure = error as Error;
    throw error;
  } finally {
    // A connection whose cursor failed is not handed to the next caller.
    client.release(failure);
  }
  const verdict = verdicts[0];
  if (verdict === undefined) throw errors.inventoryNotFound(productId);
  return verdict;
}
