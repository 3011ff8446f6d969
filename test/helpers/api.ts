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
