/** Schemas of the inventory routes. */
import { envelopeSchema } from '../../envelope.js';
import { auditFields, inventorySchema, productIdParams, productIdSchema, productNameSchema, quantitySchema } from '../../schemas.js';
import { inventoryStatuses } from '../../../domain/inventory.js';

export const createInventorySchema = {
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

export interface CreateInventoryBody {
  product_id: number;
  product_name?: string;
  stock?: number;
  status?: 'active' | 'inactive' | 'locked';
  min_stock?: number;
  max_stock?: number;
  reason?: string | null;
  operator?: string | null;
  trace_id?: string;
}

export const getInventorySchema = {
  params: productIdParams,
  response: { 200: envelopeSchema(inventorySchema) },
} as const;
