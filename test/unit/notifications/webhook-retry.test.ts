/**
 * Proves the retry schedule: exponential from retry_base_ms, capped at retry_max_ms, jittered
 * between half and all of the step, none after attempts_max; which statuses are worth a retry; and
 * that the signature is the hex HMAC-SHA256 of the body, checked in constant time.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { retryableStatus, retryDelayMs } from '../../../src/notifications/webhook-retry.js';
import { signatureMatches, signatureOf } from '../../../src/notifications/webhook-signature.js';

const policy = { attemptsMax: 5, baseMs: 1000, maxMs: 5000 };

describe('webhook retries', () => {
  it('doubles from the base up to the cap, jittered within the upper half of each step', () => {
    expect([1, 2, 3, 4].map((attempts) => retryDelayMs(policy, attempts, 0))).toEqual([500, 1000, 2000, 2500]);
    expect([1, 2, 3, 4].map((attempts) => retryDelayMs(policy, attempts, 0.999_999))).toEqual([1000, 2000, 4000, 5000]);
  });

  it('gives up after attempts_max, and bounds huge attempt counts', () => {
    expect(retryDelayMs(policy, 5, 0.5)).toBeNull();
    expect(retryDelayMs({ ...policy, attemptsMax: 1000 }, 999, 0.5)).toBe(3750);
  });

  it('retries server errors, timeouts and rate limits, not other client errors', () => {
    expect([500, 502, 503, 408, 425, 429].every(retryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 410, 422].some(retryableStatus)).toBe(false);
  });
});

describe('webhook signature', () => {
  it('is sha256=<hex HMAC of the body>, and matches only the same body and secret', () => {
    const body = '{"event":"stock.out","data":{"product_id":1}}';
    expect(signatureOf(body, 's3cret')).toBe(`sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`);
    expect(signatureMatches(body, 's3cret', signatureOf(body, 's3cret'))).toBe(true);
    expect(signatureMatches(`${body} `, 's3cret', signatureOf(body, 's3cret'))).toBe(false);
    expect(signatureMatches(body, 'other', signatureOf(body, 's3cret'))).toBe(false);
    expect(signatureMatches(body, 's3cret', undefined)).toBe(false);
    expect(signatureMatches(body, 's3cret', 'sha256=short')).toBe(false);
  });
});
