/**
 * Assertions are for programmer errors: a failed one means the code is wrong, not the world.
 * Expected failures (stock too low, a stale version, a database that is down) are typed errors
 * from `errors.ts` instead.
 */
import { AssertionError } from 'node:assert';

export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError({ message });
}

/** Makes a `switch` over a union exhaustive: adding a state without handling it fails to compile. */
export function assertNever(value: never): never {
  throw new AssertionError({ message: `unexpected value: ${JSON.stringify(value)}` });
}

export function isSafePositiveInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0;
}
