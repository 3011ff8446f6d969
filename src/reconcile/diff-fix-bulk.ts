/**
 * Fixing many diffs in one request: each id is fixed exactly as the single route fixes it (same
 * rules, same error codes, counted as a manual attempt), a few at a time, and one id's failure
 * never stops the others. The answer keeps the order of the ids asked for.
 */
import { assert } from '../assert.js';
import { AppError, databaseFailureOf, errors } from '../errors.js';
import * as limits from '../limits.js';
import type { DiffRow, FixType } from '../store/postgres/diff-queries.js';
import type { FixDeps } from './diff-fixes.js';
import { attemptFix } from './fix-attempts.js';

export interface BulkFixRequest {
  diffIds: readonly number[];
  fixType: FixType;
  operator: string;
  traceId: string | null;
}

/** One id's result: the diff after its fix, or the typed error the single route would answer. */
export type BulkFixResult = { diffId: number; diff: DiffRow; error: null } | { diffId: number; diff: null; error: AppError };

export async function fixDiffs(deps: FixDeps, request: BulkFixRequest): Promise<BulkFixResult[]> {
  const { diffIds } = request;
  assert(diffIds.length >= 1 && diffIds.length <= limits.bulkFixIdsMax);
  const results = new Array<BulkFixResult>(diffIds.length);
  let next = 0;
  const lane = async () => {
    // Bounded: each pass takes the next index, over a finite list.
    for (let index = next++; index < diffIds.length; index = next++) {
      const diffId = diffIds[index]!;
      try {
        const diff = await attemptFix(deps, { diffId, fixType: request.fixType, operator: request.operator, traceId: request.traceId }, 'manual');
        results[index] = { diffId, diff, error: null };
      } catch (error) {
        results[index] = { diffId, diff: null, error: asAppError(error) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limits.bulkFixConcurrency, diffIds.length) }, lane));
  assert(results.every((result) => result !== undefined), 'every id of a bulk fix has its result');
  return results;
}

/** As the error handler answers it: typed errors keep their code; others say no more than the code. */
function asAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  return databaseFailureOf(error) ?? errors.internal();
}
