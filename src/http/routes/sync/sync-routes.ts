/**
 * POST /sync-stock: a signed delta, applied through the product's actor. A 200 is sent only after
 * the COMMIT that holds the delta (or with the stored first result of its key).
 * POST /sync-stock/batch: up to `limits.batchItemsMax` sync items across products. Each item goes
 * to its product's actor in request order (submitted in one synchronous loop, so items for one
 * product sit in their actor's mailbox in that order) and is applied or refused on its own; the
 * answer lists one result per item, in request order.
 */
import type { FastifyBaseLogger } from 'fastify';
import { AppError, errors } from '../../../errors.js';
import type { ChangeResult } from '../../../domain/change-result.js';
import { deltaOpType, type DeltaOp, type StockOp } from '../../../domain/stock-ops.js';
import type { StockEngine } from '../../../engine/stock-engine.js';
import { changeBody, type ChangeBody } from '../../change-body.js';
import { ok, type Envelope } from '../../envelope.js';
import type { RoutePlugin } from '../../route-plugin.js';
import { syncBatchSchema, syncItemCodes, syncRouteSchema, type SyncItem } from './sync-schemas.js';

export function deltaOpOf(body: SyncItem, traceId: string): DeltaOp {
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

export const syncRoutes: RoutePlugin = async (app) => {
  const maxDelta = app.config.inventory.max_delta;

  app.post('/sync-stock', { schema: syncRouteSchema(maxDelta), config: { role: 'sync' } }, async (request) => {
    const result = await app.engine.submit(deltaOpOf(request.body, request.traceId));
    return ok(changeBody(result), result.replayed ? 'Already applied; this is the first result.' : 'Stock updated.');
  });

  app.post('/sync-stock/batch', { schema: syncBatchSchema(maxDelta), config: { role: 'sync' } }, async (request, reply) => {
    // Every submit happens before the first await, so the items reach their mailboxes in order.
    const answers = request.body.items.map((item) => submitItem(app.engine, request.log, deltaOpOf(item, request.traceId)));
    const results = await Promise.all(answers);
    const applied = results.filter((result) => result.success).length;
    // Items refused for load can be retried: say when, as a single OVERLOADED answer would.
    if (results.some((result) => result.code === 'OVERLOADED')) void reply.header('retry-after', '1');
    return {
      success: true,
      message: `${applied} of ${results.length} items applied.`,
      data: { applied, refused: results.length - applied, results },
    };
  });
};

type SyncItemCode = (typeof syncItemCodes)[number];
type ItemResult = Omit<Envelope<ChangeBody | null>, 'code'> & { code?: SyncItemCode };
const isSyncItemCode = (code: string): code is SyncItemCode => (syncItemCodes as readonly string[]).includes(code);

function submitItem(engine: StockEngine, log: FastifyBaseLogger, op: StockOp): Promise<ItemResult> {
  let answer: Promise<ChangeResult>;
  try {
    answer = engine.submit(op);
  } catch (error) {
    answer = Promise.reject(error as Error);
  }
  return answer.then(
    (result): ItemResult => ({
      success: true, message: result.replayed ? 'Already applied; this is the first result.' : 'Stock updated.', data: changeBody(result),
    }),
    (error: unknown): ItemResult => {
      // A code the document does not list for an item is a bug, answered as one.
      if (!(error instanceof AppError) || !isSyncItemCode(error.code)) {
        log.error({ err: error }, 'sync batch item failed');
        const internal = errors.internal();
        return { success: false, message: internal.message, data: null, code: 'INTERNAL_ERROR' };
      }
      return { success: false, message: error.message, data: null, code: error.code };
    },
  );
}
