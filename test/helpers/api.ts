/** Request helpers shared by the integration tests: one call, refusals that change nothing, paging. */
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: { success: boolean; code?: string; message: string; data: T };
}

export async function call<T = Record<string, unknown>>(
  app: FastifyInstance, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown,
): Promise<Answer<T>> {
  const response = await app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: response.statusCode, body: response.json() };
}

export function reserve(app: FastifyInstance, body: Record<string, unknown>) {
  return call(app, 'POST', '/api/v1/reservations', body);
}

export function finishReservation(app: FastifyInstance, id: number, action: 'confirm' | 'release', body?: unknown) {
  return call(app, 'POST', `/api/v1/reservations/${id}/${action}`, body);
}

/**
 * Asserts the request is refused with `status` and `code` in the error envelope and that
 * `snapshot` (whatever the refusal must leave as it was) reads the same before and after.
 * Returns the answer, for checks of the message.
 */
export async function expectRefusedUnchanged<T extends { status: number; body: { code?: string; success: boolean } }>(
  snapshot: () => Promise<unknown>, request: () => Promise<T>, status: number, code: string,
): Promise<T> {
  const before = await snapshot();
  const answer = await request();
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.body.success).toBe(false);
  expect(answer.body.code).toBe(code);
  expect(await snapshot()).toEqual(before);
  return answer;
}

/**
 * Follows `next_cursor` from `url` (which may carry a query) to the last page and returns every
 * item in order, checking each page on the way: 200, at most `limit` items, and a page that names
 * a next cursor is full and names its last item's key. `betweenPages` runs before each next page.
 */
export async function walkPages<T>(
  app: FastifyInstance, url: string, limit: number, keyOf: (item: T) => number,
  betweenPages?: (cursor: number) => Promise<void>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 10_000; pages += 1) {
    const pageUrl: string = `${url}${url.includes('?') ? '&' : '?'}limit=${limit}${cursor === null ? '' : `&cursor=${cursor}`}`;
    const answer = await call<{ items: T[]; next_cursor: string | null }>(app, 'GET', pageUrl);
    expect(answer.status, pageUrl).toBe(200);
    const { items: page, next_cursor: next } = answer.body.data;
    expect(page.length, pageUrl).toBeLessThanOrEqual(limit);
    if (next !== null) {
      expect(page, pageUrl).toHaveLength(limit);
      expect(next, pageUrl).toBe(String(keyOf(page[page.length - 1]!)));
    }
    items.push(...page);
    if (next === null) return items;
    cursor = next;
    await betweenPages?.(Number(next));
  }
  throw new Error(`the walk from ${url} did not end`);
}
