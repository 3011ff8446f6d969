/**
 * POST /api/v1/sync-stock: a signed delta, applied through the product's actor. A 200 is sent only
 * after the COMMIT that holds the delta (or with the stored first result of its key).
 */
import type { FastifyInstance } from 'fastify';
import { deltaOpType, type DeltaOp } from '../../../domain/stock-ops.js';
import type { Services } from '../../../services.js';
import { changeBody } from '../../change-body.js';
import { ok } from '../../envelope.js';
import { syncRouteSchema, type SyncBody } from './sync-schemas.js';

export function deltaOpOf(body: SyncBody, traceId: string): DeltaOp {
  return {
    kind: 'delta',
    productId: body.product_id,
    delta: body.delta,
    opType: deltaOpType(body.delta),
    orderId: body.order_id ?? null,
    idempotencyKey: body.idempotency_key ?? null,
    expectedVersion: body.expected_version ?? null,
    reason: body.reason ?? null,
    operator: body.operator ?? null,
    traceId: body.trace_id ?? traceId,
  };
}

export async function syncRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.post<{ Body: SyncBody }>('/api/v1/sync-stock', {
    schema: syncRouteSchema(services.config.inventory.max_delta),
  }, async (request) => {
    const result = await services.engine.submit(deltaOpOf(request.body, request.traceId));
    return ok(changeBody(result), result.replayed ? 'Already applied; this is the first result.' : 'Stock updated.');
  });
}
