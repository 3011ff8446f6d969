/** Schemas of the alert routes: the list, and an operator's acknowledgement of one alert. */
import type { AlertLevel, AlertType } from '../../../domain/alerts.js';
import * as limits from '../../../limits.js';
import type { AlertStatus } from '../../../store/postgres/alert-queries.js';
import { envelopeSchema } from '../../envelope.js';
import { codesOf, errorCodes } from '../../openapi-errors.js';
import { nextCursorSchema, pageQueryFields } from '../../pagination.js';
import { dateTime, exampleTime, idParams, int64, nullableDateTime, optionalText, traceIdSchema } from '../../schemas.js';

const alertTypes = ['low_stock', 'out_of_stock', 'diff_alert'] as const satisfies readonly AlertType[];
const alertLevels = ['info', 'warning', 'error'] as const satisfies readonly AlertLevel[];
const alertStatuses = ['pending', 'sent', 'closed', 'ignored'] as const satisfies readonly AlertStatus[];

export const alertSchema = {
  title: 'Alert',
  type: 'object', additionalProperties: false,
  required: ['id', 'product_id', 'alert_type', 'message', 'level', 'status', 'created_at', 'updated_at', 'sent_at'],
  properties: {
    id: int64, product_id: int64, alert_type: { type: 'string', enum: alertTypes },
    message: { type: 'string' }, level: { type: 'string', enum: alertLevels }, status: { type: 'string', enum: alertStatuses },
    created_at: dateTime, updated_at: dateTime,
    sent_at: { ...nullableDateTime, description: 'when a webhook first accepted it' },
  },
} as const;

const alertExample = {
  id: 42, product_id: 1001, alert_type: 'low_stock', message: 'Product 1001 is low on stock (3 available, minimum 10).',
  level: 'warning', status: 'pending', created_at: exampleTime, updated_at: exampleTime, sent_at: null,
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
      status: { type: 'string', enum: alertStatuses, description: 'Only alerts in this status' },
      type: { type: 'string', enum: alertTypes, description: 'Only alerts of this type' },
      ...pageQueryFields,
    },
  },
  errorCodes: errorCodes(...codesOf.read),
  response: {
    200: envelopeSchema({
      title: 'AlertPage',
      type: 'object', additionalProperties: false, required: ['items', 'next_cursor'],
      properties: { items: { type: 'array', items: alertSchema }, next_cursor: nextCursorSchema },
    }, { items: [alertExample], next_cursor: null }),
  },
} as const;

export const ackRouteSchema = {
  operationId: 'ackAlert',
  tags,
  summary: 'Acknowledge a pending alert',
  description: 'closed: the operator handled it (`sent` is accepted as the older spelling of closed); ignored: dismissed. ' +
    'Open alerts (pending, or sent: a webhook accepted it) can be acknowledged. A later run raises it again while its condition holds.',
  params: idParams('alertId', 'The alert id'),
  body: {
    type: 'object', additionalProperties: false, required: ['status'],
    properties: {
      status: { type: 'string', enum: ['closed', 'ignored', 'sent'], description: 'closed: handled (sent: the older spelling); ignored: dismissed' },
      operator: optionalText(limits.operatorLengthMax),
      trace_id: traceIdSchema,
    },
    examples: [{ status: 'closed', operator: 'alice' }],
  },
  errorCodes: errorCodes('ALERT_NOT_FOUND', 'ALERT_NOT_PENDING', ...codesOf.read),
  response: { 200: envelopeSchema(alertSchema, { ...alertExample, status: 'closed' }, 'Alert 42 is closed.') },
} as const;
