/** Schemas of the inventory management routes: list, batch get, update. */
import { inventoryStatuses, type InventoryStatus } from '../../../domain/inventory.js';
import * as limits from '../../../limits.js';
import { envelopeSchema } from '../../envelope.js';
import { nextCursorSchema, pageQueryFields } from '../../pagination.js';
import {
  auditFields, inventorySchema, productIdParams, productIdSchema, productNameSchema, quantitySchema, versionSchema,
} from '../../schemas.js';

export const listInventorySchema = {
  summary: 'List inventories, filtered, in product_id order (keyset pagination)',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      status: { enum: inventoryStatuses },
      low_stock: { type: 'boolean', description: 'true: only available <= min_stock (or <= inventory.low_stock_threshold when min_stock is 0)' },
      out_of_stock: { type: 'boolean', description: 'true: only available = 0' },
      ...pageQueryFields,
    },
  },
  response: {
    200: envelopeSchema({
      type: 'object',
      properties: { items: { type: 'array', items: inventorySchema }, next_cursor: nextCursorSchema },
    }),
  },
} as const;

export interface ListInventoryQuery {
  status?: InventoryStatus;
  low_stock?: boolean;
  out_of_stock?: boolean;
  limit: number;
  cursor?: string;
}

export const batchGetInventorySchema = {
  summary: 'Read many inventories at once; ids without a row are listed in missing',
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['product_ids'],
    properties: {
      product_ids: { type: 'array', minItems: 1, maxItems: limits.batchItemsMax, items: productIdSchema },
    },
  },
  response: {
    200: envelopeSchema({
      type: 'object',
      properties: {
        items: { type: 'array', items: inventorySchema },
        missing: { type: 'array', items: { type: 'integer' } },
      },
    }),
  },
} as const;

export interface BatchGetInventoryBody { product_ids: number[] }

export const updateInventorySchema = {
  summary: 'Change a product: name, status, min/max stock, stock (compare-and-set on version)',
  params: productIdParams,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['version'],
    properties: {
      version: versionSchema,
      product_name: productNameSchema,
      status: { enum: inventoryStatuses },
      min_stock: quantitySchema,
      max_stock: quantitySchema,
      stock: quantitySchema,
      ...auditFields,
    },
  },
  response: { 200: envelopeSchema(inventorySchema) },
} as const;

export interface UpdateInventoryBody {
  version: number;
  product_name?: string;
  status?: InventoryStatus;
  min_stock?: number;
  max_stock?: number;
  stock?: number;
  reason?: string | null;
  operator?: string | null;
  trace_id?: string;
}
