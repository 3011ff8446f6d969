/** Create and read one inventory row. (List, batch get and update: see the management routes.) */
import type { FastifyInstance } from 'fastify';
import { errors } from '../../../errors.js';
import type { Services } from '../../../services.js';
import { insertInventory, selectInventory } from '../../../store/postgres/inventory-queries.js';
import { ok } from '../../envelope.js';
import { createInventorySchema, getInventorySchema, type CreateInventoryBody } from './inventory-schemas.js';

export async function inventoryRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.post<{ Body: CreateInventoryBody }>('/api/v1/inventory', { schema: createInventorySchema }, async (request, reply) => {
    const body = request.body;
    const stock = body.stock ?? services.config.inventory.default_stock;
    const maxStock = body.max_stock ?? 0;
    const minStock = body.min_stock ?? 0;
    if (maxStock > 0 && stock > maxStock) {
      const field = body.stock === undefined ? 'the default stock (inventory.default_stock)' : 'body.stock';
      throw errors.validation(field, `(${stock}) must not exceed body.max_stock (${maxStock})`);
    }
    if (maxStock > 0 && minStock > maxStock) throw errors.minAboveMax(minStock, maxStock);
    const row = await insertInventory(services.readPool, {
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
    await services.cacheWriter.writeAvailable(row.product_id, row.available, row.version).catch(() => {
      services.metrics.redisWriteFailures.inc();
    });
    return reply.code(201).send(ok(row, 'Inventory created.'));
  });

  app.get<{ Params: { productId: number } }>('/api/v1/inventory/:productId', { schema: getInventorySchema }, async (request) => {
    const row = await selectInventory(services.readPool, request.params.productId);
    if (row === null) throw errors.inventoryNotFound(request.params.productId);
    return ok(row);
  });
}
