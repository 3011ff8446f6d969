/**
 * Inventory: create, read one, list with filters (keyset pages), batch get, and the operator
 * update. Reads go straight to PostgreSQL; the update is an op of the product's actor like every
 * other change, so it is judged in order with syncs and reservations and committed in a flush.
 */
import type { FromSchema } from 'json-schema-to-ts';
import { errors } from '../../../errors.js';
import type { UpdateOp } from '../../../domain/stock-ops.js';
import { insertInventory, selectInventory, selectInventoryAlone } from '../../../store/postgres/inventory-queries.js';
import { selectInventories, selectInventoryPage } from '../../../store/postgres/inventory-list-queries.js';
import { assert } from '../../../assert.js';
import { inventoryBody } from '../../change-body.js';
import { ok } from '../../envelope.js';
import { pageOf, parseCursor } from '../../pagination.js';
import type { RoutePlugin } from '../../route-plugin.js';
import {
  batchGetInventorySchema, createInventorySchema, getInventorySchema, listInventorySchema, updateInventorySchema,
} from './inventory-schemas.js';

export const inventoryRoutes: RoutePlugin = async (app) => {
  const settings = app.config.inventory;

  app.post('/inventory', { schema: createInventorySchema, config: { role: 'operator' } }, async (request, reply) => {
    const body = request.body;
    const stock = body.stock ?? settings.default_stock;
    const maxStock = body.max_stock ?? 0;
    const minStock = body.min_stock ?? 0;
    if (maxStock > 0 && stock > maxStock) {
      const field = body.stock === undefined ? 'the default stock (inventory.default_stock)' : 'body.stock';
      throw errors.validation(field, `(${stock}) must not exceed body.max_stock (${maxStock})`);
    }
    if (maxStock > 0 && minStock > maxStock) throw errors.minAboveMax(minStock, maxStock);
    const row = await insertInventory(app.readPool, {
      productId: body.product_id,
      productName: body.product_name ?? '',
      stock,
      status: body.status ?? 'active',
      minStock,
      maxStock,
      reason: body.reason ?? null,
      operator: body.operator ?? null,
      traceId: request.traceId,
    });
    if (row === null) throw errors.inventoryAlreadyExists(body.product_id);
    // Warm the flash-sale counter; a Redis outage here is repaired by reconciliation.
    await app.cacheWriter.writeAvailable(row.product_id, row.available, row.version).catch(() => {
      app.metrics.redisWriteFailures.inc();
    });
    return reply.code(201).send(ok(row, 'Inventory created.'));
  });

  // Batched mode shares one query among the reads of an event-loop turn, as it batches writes;
  // the naive baseline (engine.mode naive) stays the design a user writes first: a query per read.
  const readOne = app.config.engine.mode === 'naive' ? selectInventoryAlone : selectInventory;
  app.get('/inventory/:productId', { schema: getInventorySchema, config: { role: 'read' } }, async (request) => {
    const row = await readOne(app.readPool, request.params.productId);
    if (row === null) throw errors.inventoryNotFound(request.params.productId);
    return ok(row);
  });

  app.get('/inventory', { schema: listInventorySchema, config: { role: 'read' } }, async (request) => {
    const query = request.query;
    const rows = await selectInventoryPage(app.readPool, {
      status: query.status ?? null,
      lowStock: query.low_stock === true,
      outOfStock: query.out_of_stock === true,
      lowStockThreshold: settings.low_stock_threshold,
    }, parseCursor(query.cursor) ?? 0, query.limit + 1);
    return ok(pageOf(rows, query.limit, (row) => row.product_id));
  });

  app.post('/inventory/batch', { schema: batchGetInventorySchema, config: { role: 'read' } }, async (request) => {
    const wanted = [...new Set(request.body.product_ids)];
    const byId = new Map((await selectInventories(app.readPool, wanted)).map((row) => [row.product_id, row]));
    return ok({
      items: wanted.filter((id) => byId.has(id)).map((id) => byId.get(id)!),
      missing: wanted.filter((id) => !byId.has(id)),
    });
  });

  app.put('/inventory/:productId', { schema: updateInventorySchema, config: { role: 'operator' } }, async (request) => {
    const productId = request.params.productId;
    const result = await app.engine.submit(updateOpOf(productId, request.body, request.traceId));
    // The row as this update's commit left it, from the engine: no read after the commit.
    assert(result.record !== null, 'an applied update answered without its row');
    return ok(inventoryBody(result.record), `Inventory updated (the update committed version ${result.version}).`);
  });
};

type UpdateInventoryBody = FromSchema<typeof updateInventorySchema.body>;

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
