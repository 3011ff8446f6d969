/**
 * Proves the one timeout helper: a promise that settles first wins (value or rejection), a slow one
 * gives the fallback after the bound, and no timer is left behind either way (fake timers count them).
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { settledWithin, withTimeout } from '../../src/timeout.js';

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => { setTimeout(resolve, ms, value); });

it('answers the value when the promise settles first, and clears its timer', async () => {
  const answer = withTimeout(after(10, 'value'), 100, 'late');
  await vi.advanceTimersByTimeAsync(10);
  await expect(answer).resolves.toBe('value');
  expect(vi.getTimerCount()).toBe(0);
});

it('answers the fallback once the bound has passed', async () => {
  const answer = withTimeout(after(1000, 'value'), 100, 'late');
  await vi.advanceTimersByTimeAsync(99);
  let settled = false;
  void answer.then(() => { settled = true; });
  await Promise.resolve();
  expect(settled).toBe(false);
  await vi.advanceTimersByTimeAsync(1);
  await expect(answer).resolves.toBe('late');
});

it('passes a rejection through and clears its timer', async () => {
  await expect(withTimeout(Promise.reject(new Error('boom')), 100, 'late')).rejects.toThrow('boom');
  expect(vi.getTimerCount()).toBe(0);
});

it('settledWithin waits for a rejection as for a value, and for the bound at most', async () => {
  await expect(settledWithin(Promise.reject(new Error('ignored')), 100)).resolves.toBeUndefined();
  const waiting = settledWithin(new Promise(() => {}), 100);
  await vi.advanceTimersByTimeAsync(100);
  await expect(waiting).resolves.toBeUndefined();
  expect(vi.getTimerCount()).toBe(0);
});
