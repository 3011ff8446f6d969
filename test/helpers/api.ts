/** Small request helpers for the management, reservation and history routes. */
import type { FastifyInstance } from 'fastify';

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

/** Deterministic pseudo-random numbers (mulberry32), so a failing seed can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
