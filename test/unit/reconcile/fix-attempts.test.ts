/**
 * Proves how a fix attempt's refusal is counted: stale for DIFF_STALE and DIFF_NOT_PENDING,
 * exceeded for FIX_AMOUNT_EXCEEDED, failed for every other code and for anything not typed. No
 * services: the mapping alone.
 */
import { expect, it } from 'vitest';
import { errors } from '../../../src/errors.js';
import { fixOutcomeOf } from '../../../src/reconcile/fix-attempts.js';

it('sorts each refusal into stale, exceeded or failed by its code', () => {
  expect(fixOutcomeOf(errors.diffStale(1, 'moved'))).toBe('stale');
  expect(fixOutcomeOf(errors.diffNotPending(1, 'fixed'))).toBe('stale');
  expect(fixOutcomeOf(errors.fixAmountExceeded(1, 5000, 1000))).toBe('exceeded');
  for (const error of [errors.diffNotFound(1), errors.redisUnavailable(), errors.fixOutcomeUnknown(1), errors.compensationDisabled(),
    errors.fixNotApplicable(1, 'missing key'), errors.databaseUnavailable(), new Error('a bug'), 'not even an error']) {
    expect(fixOutcomeOf(error)).toBe('failed');
  }
});
