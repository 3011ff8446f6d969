/** Schemas of the inventory routes: create, read one, list, batch get, update. */
import { inventoryStatuses } from '../../../domain/inventory.js';
import * as limits from '../../../limits.js';
import { envelopeSchema } from '../../envelope.js';
import { nextCursorSchema, pageQueryFields } from '../../pagination.js';
import {
  auditFields, inventorySchema, productIdParams, productIdSchema, productNameSchema, quantitySchema, versionSchema,
} from '../../schemas.js';

const tags = ['inventory'] as const;

export const createInventorySchema = {
  operationId: 'createInventory',
  tags,
  summary: 'Create a product\'s inventory',
  description: 'Creates the row (stock defaults to inventory.default_stock) and warms the Redis counter. ' +
    'A product that already has a row is refused with 409 INVENTORY_ALREADY_EXISTS.',
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['product_id'],
    properties: {
      product_id: productIdSchema,
      product_name: productNameSchema,
      stock: quantitySchema,
      status: { enum: inventoryStatuses },
      min_stock: quantitySchema,
      max_stock: quantitySchema,
      ...auditFields,
    },
  },
  response: { 201: envelopeSchema(inventorySchema) },
} as const;

export const getInventorySchema = {
  operationId: 'getInventory',
  tags,
  summary: 'Read one product\'s inventory',
  description: 'The row as PostgreSQL holds it now (stock, reserved, available, version, status, bounds).',
  params: productIdParams,
  response: { 200: envelopeSchema(inventorySchema) },
} as const;

export const listInventorySchema = {
  operationId: 'listInventory',
  tags,
  summary: 'List inventories, filtered, in product_id order (keyset pagination)',
  description: 'Filters by status, low stock and out of stock; pass next_cursor back as cursor for the next page.',
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
      type: 'object', additionalProperties: false,
      properties: { items: { type: 'array', items: inventorySchema }, next_cursor: nextCursorSchema },
    }),
  },
} as const;

export const batchGetInventorySchema = {
  operationId: 'batchGetInventory',
  tags,
  summary: 'Read many inventories at once; ids without a row are listed in missing',
  description: `Up to ${limits.batchItemsMax} product ids; duplicates are answered once, in the order first given.`,
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
      type: 'object', additionalProperties: false,
      properties: {
        items: { type: 'array', items: inventorySchema },
        missing: { type: 'array', items: { type: 'integer' } },
      },
    }),
  },
} as const;

export const updateInventorySchema = {
  operationId: 'updateInventory',
  tags,
  summary: 'Change a product: name, status, min/max stock, stock (compare-and-set on version)',
  description: 'An op of the product\'s actor like every other change, judged in order with syncs and reservations. ' +
    'version must be the product\'s current version, else 409 VERSION_CONFLICT.',
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
