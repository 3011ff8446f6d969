/** Schemas of the inventory routes: create, read one, list, batch get, update. */
import { inventoryStatuses } from '../../../domain/inventory.js';
import * as limits from '../../../limits.js';
import { envelopeSchema } from '../../envelope.js';
import { codesOf, errorCodes } from '../../openapi-errors.js';
import { nextCursorSchema, pageQueryFields } from '../../pagination.js';
import {
  auditFields, int64, inventoryExample, inventorySchema, productIdParams, productIdSchema, productNameSchema, quantitySchema,
  versionSchema,
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
      stock: { ...quantitySchema, description: 'default: inventory.default_stock' },
      status: { type: 'string', enum: inventoryStatuses, description: 'default: active' },
      min_stock: { ...quantitySchema, description: 'low-stock alert threshold; 0: inventory.low_stock_threshold applies' },
      max_stock: { ...quantitySchema, description: '0 (default): no maximum' },
      ...auditFields,
    },
    examples: [{ product_id: 1001, product_name: 'Phone', stock: 100, min_stock: 10 }],
  },
  errorCodes: errorCodes('INVENTORY_ALREADY_EXISTS', ...codesOf.write),
  response: { 201: envelopeSchema(inventorySchema, { ...inventoryExample, stock: 100, reserved: 0, available: 100, version: 1 }, 'Inventory created.') },
} as const;

export const getInventorySchema = {
  operationId: 'getInventory',
  tags,
  summary: 'Read one product\'s inventory',
  description: 'The row as PostgreSQL holds it now (stock, reserved, available, version, status, bounds).',
  params: productIdParams,
  errorCodes: errorCodes('INVENTORY_NOT_FOUND', ...codesOf.read),
  response: { 200: envelopeSchema(inventorySchema, inventoryExample) },
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
      status: { type: 'string', enum: inventoryStatuses, description: 'Only products in this status' },
      low_stock: { type: 'boolean', description: 'true: only available <= min_stock (or <= inventory.low_stock_threshold when min_stock is 0)' },
      out_of_stock: { type: 'boolean', description: 'true: only available = 0' },
      ...pageQueryFields,
    },
  },
  errorCodes: errorCodes(...codesOf.read),
  response: {
    200: envelopeSchema({
      title: 'InventoryPage',
      type: 'object', additionalProperties: false, required: ['items', 'next_cursor'],
      properties: { items: { type: 'array', items: inventorySchema }, next_cursor: nextCursorSchema },
    }, { items: [inventoryExample], next_cursor: '1001' }),
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
    examples: [{ product_ids: [1001, 1002] }],
  },
  errorCodes: errorCodes(...codesOf.write),
  response: {
    200: envelopeSchema({
      title: 'InventoryBatch',
      type: 'object', additionalProperties: false, required: ['items', 'missing'],
      properties: {
        items: { type: 'array', items: inventorySchema },
        missing: { type: 'array', items: int64, description: 'the ids asked for that have no row' },
      },
    }, { items: [inventoryExample], missing: [1002] }),
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
      version: { ...versionSchema, description: 'the version read; the update is refused if the product has moved on' },
      product_name: productNameSchema,
      status: { type: 'string', enum: inventoryStatuses },
      min_stock: quantitySchema,
      max_stock: quantitySchema,
      stock: quantitySchema,
      ...auditFields,
    },
    examples: [{ version: 7, status: 'locked', reason: 'recall', operator: 'alice' }],
  },
  errorCodes: errorCodes('VERSION_CONFLICT', 'INSUFFICIENT_STOCK', 'MAX_STOCK_EXCEEDED', ...codesOf.engine, ...codesOf.notNaive),
  response: {
    200: envelopeSchema(inventorySchema, { ...inventoryExample, status: 'locked', version: 8 },
      'Inventory updated (the update committed version 8).'),
  },
} as const;
