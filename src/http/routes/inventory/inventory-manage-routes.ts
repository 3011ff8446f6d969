/**
 * Inventory management: list with filters (keyset pages), batch get, and the operator update.
 * Reads go straight to PostgreSQL; the update is an op of the product's actor like every other
 * change, so it is judged in order with syncs and reservations and committed in a flush.
 */
import type { FastifyInstance } from 'fastify';
import { errors } from '../../../errors.js';
import type { UpdateOp } from '../../../domain/stock-ops.js';
import type { Services } from '../../../services.js';
import { selectInventories, selectInventoryPage } from '../../../store/postgres/inventory-list-queries.js';
import { assert } from '../../../assert.js';
import { inventoryBody } from '../../change-body.js';
import { ok } from '../../envelope.js';
import { pageOf, parseCursor } from '../../pagination.js';
import {
  batchGetInventorySchema, listInventorySchema, updateInventorySchema,
  type BatchGetInventoryBody, type ListInventoryQuery, type UpdateInventoryBody,
} from './inventory-manage-schemas.js';

export async function inventoryManageRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get<{ Querystring: ListInventoryQuery }>('/api/v1/inventory', { schema: listInventorySchema }, async (request) => {
    const query = request.query;
    const rows = await selectInventoryPage(services.readPool, {
      status: query.status ?? null,
      lowStock: query.low_stock === true,
      outOfStock: query.out_of_stock === true,
      lowStockThreshold: services.config.inventory.low_stock_threshold,
    }, parseCursor(query.cursor) ?? 0, query.limit + 1);
    return ok(pageOf(rows, query.limit, (row) => row.product_id));
  });

  app.post<{ Body: BatchGetInventoryBody }>('/api/v1/inventory/batch', { schema: batchGetInventorySchema }, async (request) => {
    const wanted = [...new Set(request.body.product_ids)];
    const byId = new Map((await selectInventories(services.readPool, wanted)).map((row) => [row.product_id, row]));
    return ok({
      items: wanted.filter((id) => byId.has(id)).map((id) => byId.get(id)!),
      missing: wanted.filter((id) => !byId.has(id)),
    });
  });

  app.put<{ Params: { productId: number }; Body: UpdateInventoryBody }>('/api/v1/inventory/:productId', {
    schema: updateInventorySchema,
  }, async (request) => {
    const productId = request.params.productId;
    const result = await services.engine.submit(updateOpOf(productId, request.body, request.traceId));
    // The row as this update's commit left it, from the engine: no read after the commit.
    assert(result.record !== null, 'an applied update answered without its row');
    return ok(inventoryBody(result.record), `Inventory updated (the update committed version ${result.version}).`);
  });
}

function updateOpOf(productId: number, body: UpdateInventoryBody, traceId: string): UpdateOp {
  const changes = {
    productName: body.product_name ?? null,
    status: body.status ?? null,
    minStock: body.min_stock ?? null,
    maxStock: body.max_stock ?? null,
    stock: body.stock ?? null,
  };
  if (Object.values(changes).every((value) => value === null)) {
    throw errors.invalidRequest('Send at least one of product_name, status, min_stock, max_stock, stock.');
  }
  return {
    kind: 'update', productId, expectedVersion: body.version, changes,
    reason: body.reason ?? null, operator: body.operator ?? null, traceId: body.trace_id ?? traceId,
  };
}
