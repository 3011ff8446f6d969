/** Schemas of the alert routes: the list, and an operator's acknowledgement of one alert. */
import * as limits from '../../../limits.js';
import { envelopeSchema } from '../../envelope.js';
import { nextCursorSchema, pageQueryFields } from '../../pagination.js';
import { idParams, optionalText, traceIdSchema } from '../../schemas.js';

export const alertSchema = {
  type: 'object', additionalProperties: false,
  properties: {
    id: { type: 'integer' }, product_id: { type: 'integer' }, alert_type: { type: 'string' },
    message: { type: 'string' }, level: { type: 'string' }, status: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' }, updated_at: { type: 'string', format: 'date-time' },
    sent_at: { type: ['string', 'null'], format: 'date-time', description: 'when a webhook first accepted it' },
  },
} as const;

const tags = ['alerts'] as const;

export const alertsRouteSchema = {
  operationId: 'listAlerts',
  tags,
  summary: 'List alerts, newest first, filtered by status and type (keyset pagination)',
  description: 'Stock alerts (low_stock, out_of_stock) and diff alerts raised by reconciliation runs.',
  querystring: {
    type: 'object', additionalProperties: false,
    properties: {
      status: { enum: ['pending', 'sent', 'closed', 'ignored'] },
      type: { enum: ['low_stock', 'out_of_stock', 'diff_alert'] },
      ...pageQueryFields,
    },
  },
  response: {
    200: envelopeSchema({
      type: 'object', additionalProperties: false,
      properties: { items: { type: 'array', items: alertSchema }, next_cursor: nextCursorSchema },
    }),
  },
} as const;

export const ackRouteSchema = {
  operationId: 'ackAlert',
  tags,
  summary: 'Acknowledge a pending alert',
  description: 'closed: the operator handled it (`sent` is accepted as the older spelling of closed); ignored: dismissed. ' +
    'Open alerts (pending, or sent: a webhook accepted it) can be acknowledged. A later run raises it again while its condition holds.',
  params: idParams('alertId'),
  body: {
    type: 'object', additionalProperties: false, required: ['status'],
    properties: {
      status: { enum: ['closed', 'ignored', 'sent'] },
      operator: optionalText(limits.operatorLengthMax),
      trace_id: traceIdSchema,
    },
  },
  response: { 200: envelopeSchema(alertSchema) },
} as const;
