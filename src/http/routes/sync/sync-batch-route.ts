/**
 * POST /api/v1/sync-stock/batch: up to `limits.batchItemsMax` sync items across products. Each
 * item goes to its product's actor in request order (submitted in one synchronous loop, so items
 * for one product sit in their actor's mailbox in that order) and is applied or refused on its
 * own; the answer lists one result per item, in request order.
 */
import type { FastifyInstance } from 'fastify';
import { AppError, errors } from '../../../errors.js';
import type { ChangeResult } from '../../../domain/change-result.js';
import type { StockOp } from '../../../domain/stock-ops.js';
import * as limits from '../../../limits.js';
import type { Services } from '../../../services.js';
import { changeBody, type ChangeBody } from '../../change-body.js';
import { envelopeSchema, type Envelope } from '../../envelope.js';
import { traceIdSchema } from '../../schemas.js';
import { deltaOpOf } from './sync-route.js';
import { changeResultSchema, syncItemSchema, type SyncBody } from './sync-schemas.js';

export interface SyncBatchBody {
  items: SyncBody[];
  trace_id?: string;
}

function syncBatchSchema(maxDelta: number) {
  return {
    summary: 'Apply up to 1000 stock deltas; each item is applied or refused on its own',
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['items'],
      properties: {
        items: { type: 'array', minItems: 1, maxItems: limits.batchItemsMax, items: syncItemSchema(maxDelta) },
        trace_id: traceIdSchema,
      },
    },
    response: {
      200: envelopeSchema({
        type: 'object',
        properties: {
          applied: { type: 'integer' },
          refused: { type: 'integer' },
          results: {
            type: 'array',
            items: {
              type: 'object',
              required: ['success', 'message'],
              properties: {
                success: { type: 'boolean' },
                message: { type: 'string' },
                code: { type: 'string' },
                data: { ...changeResultSchema, type: ['object', 'null'] },
              },
            },
          },
        },
      }),
    },
  };
}

export async function syncBatchRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.post<{ Body: SyncBatchBody }>('/api/v1/sync-stock/batch', {
    schema: syncBatchSchema(services.config.inventory.max_delta),
  }, async (request, reply) => {
    // Every submit happens before the first await, so the items reach their mailboxes in order.
    const answers = request.body.items.map((item) => submitItem(services, deltaOpOf(item, request.traceId)));
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
}

type ItemResult = Envelope<ChangeBody | null>;

function submitItem(services: Services, op: StockOp): Promise<ItemResult> {
  let answer: Promise<ChangeResult>;
  try {
    answer = services.engine.submit(op);
  } catch (error) {
    answer = Promise.reject(error as Error);
  }
  return answer.then(
    (result): ItemResult => ({
      success: true, message: result.replayed ? 'Already applied; this is the first result.' : 'Stock updated.', data: changeBody(result),
    }),
    (error: unknown): ItemResult => {
      if (!(error instanceof AppError)) {
        services.log.error({ err: error }, 'sync batch item failed');
        error = errors.internal();
      }
      const appError = error as AppError;
      return { success: false, message: appError.message, data: null, code: appError.code };
    },
  );
}
