/**
 * When a failed delivery is tried again. Pure, so the schedule is unit-tested.
 *
 * Exponential backoff with "equal jitter" (AWS Architecture Blog, "Exponential Backoff and
 * Jitter"): the n-th retry waits between half and all of min(max, base × 2^(n-1)). The jitter
 * spreads the retries of many deliveries that failed together (a receiver that was down), and the
 * fixed half keeps a retry from coming back at once.
 */
import { assert } from '../assert.js';

export interface RetryPolicy {
  attemptsMax: number;
  baseMs: number;
  maxMs: number;
}

/** Answers whose status says the same request may succeed later; any other 4xx never will. */
export function retryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 425 || status === 429;
}

/**
 * The pause after attempt `attempts` failed, or null when that was the last one allowed.
 * `random` is in [0, 1).
 */
export function retryDelayMs(policy: RetryPolicy, attempts: number, random: number): number | null {
  assert(Number.isInteger(attempts) && attempts >= 1, 'attempts counts the attempt that failed');
  assert(random >= 0 && random < 1, 'random is in [0, 1)');
  if (attempts >= policy.attemptsMax) return null;
  // 2^30 × base is far beyond any maxMs: the exponent is capped before it could overflow.
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempts - 1, 30));
  return Math.round(ceiling / 2 + random * (ceiling / 2));
}
