/**
 * A fix attempt as the metrics and the log see it: every attempt (auto_fix, the single route, the
 * bulk route) is counted by source and outcome, and a failure is logged at ERROR. The outcome of
 * a refusal comes from its error code, so the count and the HTTP answer can never disagree.
 */
import { AppError } from '../errors.js';
import type { FixOutcome, FixSource } from '../metrics/reconcile-metrics.js';
import type { DiffRow } from '../store/postgres/diff-queries.js';
import { fixDiff, type FixDeps, type FixRequest } from './diff-fixes.js';

export function fixOutcomeOf(error: unknown): Exclude<FixOutcome, 'applied'> {
  if (!(error instanceof AppError)) return 'failed';
  switch (error.code) {
    case 'DIFF_STALE': case 'DIFF_NOT_PENDING': return 'stale';
    case 'FIX_AMOUNT_EXCEEDED': return 'exceeded';
    default: return 'failed';
  }
}

/** `fixDiff`, counted and logged; the error (if any) is rethrown unchanged. */
export async function attemptFix(deps: FixDeps, request: FixRequest, source: FixSource): Promise<DiffRow> {
  try {
    const fixed = await fixDiff(deps, request);
    deps.metrics.fixAttempts.inc({ source, outcome: 'applied' });
    return fixed;
  } catch (error) {
    const outcome = fixOutcomeOf(error);
    deps.metrics.fixAttempts.inc({ source, outcome });
    // A typed refusal is described by its code and message; only an unforeseen error needs its stack.
    const cause = error instanceof AppError ? { code: error.code, reason: error.message } : { err: error };
    const fields = { ...cause, diff_id: request.diffId, fix_type: request.fixType, source, outcome, trace_id: request.traceId };
    if (outcome === 'failed') deps.log.error(fields, 'a diff fix failed');
    else deps.log.warn(fields, `a diff fix was refused (${outcome})`);
    throw error;
  }
}
