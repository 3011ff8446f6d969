/** Schemas of GET /api/v1/alerts. */
import { envelopeSchema } from '../../envelope.js';
import { nextCursorSchema, pageQueryFields } from '../../pagination.js';

export const alertSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, product_id: { type: 'integer' }, alert_type: { type: 'string' },
    message: { type: 'string' }, level: { type: 'string' }, status: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' }, updated_at: { type: 'string', format: 'date-time' },
  },
} as const;

export const alertsRouteSchema = {
  querystring: {
    type: 'object', additionalProperties: false,
    properties: {
      status: { enum: ['pending', 'sent', 'ignored'] },
      type: { enum: ['low_stock', 'out_of_stock', 'diff_alert'] },
      ...pageQueryFields,
    },
  },
  response: {
    200: envelopeSchema({
      type: 'object',
      properties: { items: { type: 'array', items: alertSchema }, next_cursor: nextCursorSchema },
    }),
  },
} as const;

export interface AlertsQuery {
  status?: 'pending' | 'sent' | 'ignored';
  type?: 'low_stock' | 'out_of_stock' | 'diff_alert';
  limit: number;
  cursor?: string;
}
