/**
 * The HTTP ceiling: bare fastify with the service's request and response schemas (so the same
 * validation and the same compiled serialisation) and the same envelope, but no database, no
 * Redis and none of the service's hooks. Stock lives in a Map. Run as a child process by
 * `bench/run.ts`: PORT, BENCH_PRODUCTS and BENCH_STOCK come from the environment.
 */
import Fastify from 'fastify';
import { ok } from '../src/http/envelope.js';
import { getInventorySchema } from '../src/http/routes/inventory/inventory-schemas.js';
import { syncItemSchema, syncRouteSchema, type SyncItem } from '../src/http/routes/sync/sync-schemas.js';
import * as limits from '../src/limits.js';

const port = Number(process.env.PORT);
const products = Number(process.env.BENCH_PRODUCTS ?? 1);
const seedStock = Number(process.env.BENCH_STOCK ?? 1_000_000);
const maxDelta = 1_000_000;

interface Row { stock: number; version: number; logId: number }
const rows = new Map<number, Row>();
for (let productId = 1; productId <= products; productId += 1) rows.set(productId, { stock: seedStock, version: 1, logId: 0 });
let logIds = 0;

function apply(body: SyncItem) {
  const row = rows.get(body.product_id);
  if (row === undefined || row.stock + body.delta < 0) return null;
  const before = row.stock;
  row.stock += body.delta;
  row.version += 1;
  row.logId = ++logIds;
  return {
    product_id: body.product_id, delta: body.delta, before_stock: before, after_stock: row.stock,
    stock: row.stock, reserved: 0, available: row.stock, version: row.version, log_id: row.logId, replayed: false,
  };
}

function inventoryOf(productId: number, row: Row) {
  const now = new Date();
  return {
    product_id: productId, product_name: `bench ${productId}`, stock: row.stock, reserved: 0, available: row.stock,
    version: row.version, status: 'active', min_stock: 0, max_stock: 0, created_at: now, updated_at: now,
  };
}

const app = Fastify({ logger: false, bodyLimit: limits.bodyLimitBytes });

app.post<{ Body: SyncItem }>('/api/v1/sync-stock', { schema: syncRouteSchema(maxDelta) }, async (request, reply) => {
  const result = apply(request.body);
  if (result === null) return reply.code(409).send({ success: false, message: 'refused', data: null, code: 'INSUFFICIENT_STOCK' });
  return ok(result, 'Stock updated.');
});

app.post<{ Body: { items: SyncItem[] } }>('/api/v1/sync-stock/batch', {
  schema: {
    body: {
      type: 'object', additionalProperties: false, required: ['items'],
      properties: { items: { type: 'array', minItems: 1, maxItems: limits.batchItemsMax, items: syncItemSchema(maxDelta) } },
    },
  },
}, async (request) => {
  const results = request.body.items.map((item) => {
    const result = apply(item);
    return result === null
      ? { success: false, message: 'refused', data: null, code: 'INSUFFICIENT_STOCK' }
      : { success: true, message: 'Stock updated.', data: result };
  });
  return ok({ results });
});

app.get<{ Params: { productId: number } }>('/api/v1/inventory/:productId', { schema: getInventorySchema }, async (request, reply) => {
  const row = rows.get(request.params.productId);
  if (row === undefined) return reply.code(404).send({ success: false, message: 'not found', data: null, code: 'INVENTORY_NOT_FOUND' });
  return ok(inventoryOf(request.params.productId, row));
});

app.post<{ Body: { product_ids: number[] } }>('/api/v1/inventory/batch', {
  schema: {
    body: {
      type: 'object', additionalProperties: false, required: ['product_ids'],
      properties: { product_ids: { type: 'array', minItems: 1, maxItems: limits.batchItemsMax, items: { type: 'integer', minimum: 1 } } },
    },
  },
}, async (request) => {
  const found = request.body.product_ids.filter((id) => rows.has(id));
  return ok({
    items: found.map((id) => inventoryOf(id, rows.get(id)!)),
    missing: request.body.product_ids.filter((id) => !rows.has(id)),
  });
});

app.get('/health', async () => ok({ status: 'ok', checks: {} }));

process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});

await app.listen({ host: '127.0.0.1', port });
