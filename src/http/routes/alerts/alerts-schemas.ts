/** Schemas of GET /api/v1/alerts. */
import * as limits from '../../../limits.js';
import { envelopeSchema } from '../../envelope.js';

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
      limit: { type: 'integer', minimum: 1, maximum: limits.pageRowsMax },
      cursor: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    },
  },
  response: {
    200: envelopeSchema({
      type: 'object',
      properties: { alerts: { type: 'array', items: alertSchema }, next_cursor: { type: ['integer', 'null'] } },
    }),
  },
} as const;

export interface AlertsQuery {
  status?: 'pending' | 'sent' | 'ignored';
  type?: 'low_stock' | 'out_of_stock' | 'diff_alert';
  limit?: number;
  cursor?: number;
}
