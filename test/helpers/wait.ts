/**
 * Polling with a deadline instead of sleeping a guessed time: the test goes on as soon as the
 * condition holds, and a condition that never holds fails after `timeoutMs` with the last value
 * in the assertion (the caller asserts on what `pollUntil` returns).
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface PollOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/** Reads until `done(value)` or the deadline; returns the last value read either way. */
export async function pollUntil<T>(read: () => Promise<T> | T, done: (value: T) => boolean, options: PollOptions = {}): Promise<T> {
  const deadline = performance.now() + (options.timeoutMs ?? 5000);
  for (;;) {
    const value = await read();
    if (done(value) || performance.now() >= deadline) return value;
    await sleep(options.intervalMs ?? 20);
  }
}
