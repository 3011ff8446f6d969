/** Response schemas of GET /api/v1/stats/inventory and GET /api/v1/stats/service. */
import { envelopeSchema } from '../../envelope.js';
import { codesOf, errorCodes } from '../../openapi-errors.js';
import { dateTime, exampleTime, int64 as integer } from '../../schemas.js';
import { runStatuses, runTriggers } from '../health/health-check-schemas.js';

const number = { type: 'number', format: 'double' } as const;
const countsByKey = { type: 'object', additionalProperties: integer } as const;
/** When the PostgreSQL figures were read, and how long ago (they are a snapshot: see limits.statsMaxAgeMsDefault). */
const asOf = { ...dateTime, description: 'when the figures from PostgreSQL were read' } as const;
const ageSeconds = { type: 'number', format: 'double', description: 'how long ago, in seconds (at most inventory.stats_max_age_ms)' } as const;

const tags = ['stats'] as const;

export const inventoryStatsSchema = {
  operationId: 'getInventoryStats',
  tags,
  summary: 'What the catalogue holds',
  description: 'Product counts by status, stock totals, and low / out-of-stock counts (active products), from a ' +
    'snapshot at most inventory.stats_max_age_ms old (as_of, age_seconds): one pass over every product per refresh.',
  errorCodes: errorCodes(...codesOf.read),
  response: {
    200: envelopeSchema({
      title: 'InventoryStats',
      type: 'object', additionalProperties: false,
      required: ['products', 'by_status', 'total_stock', 'total_reserved', 'total_available', 'low_stock', 'out_of_stock',
        'low_stock_threshold', 'as_of', 'age_seconds'],
      properties: {
        products: integer,
        by_status: {
          type: 'object', additionalProperties: false, required: ['active', 'inactive', 'locked'],
          properties: { active: integer, inactive: integer, locked: integer },
        },
        total_stock: number, total_reserved: number, total_available: number,
        low_stock: integer, out_of_stock: integer, low_stock_threshold: integer,
        as_of: asOf, age_seconds: ageSeconds,
      },
    }, {
      products: 1200, by_status: { active: 1190, inactive: 8, locked: 2 }, total_stock: 480000, total_reserved: 320,
      total_available: 479680, low_stock: 14, out_of_stock: 3, low_stock_threshold: 10, as_of: exampleTime, age_seconds: 0.8,
    }),
  },
} as const;

const lastRunSchema = {
  title: 'HealthRunSummary',
  type: ['object', 'null'], additionalProperties: false,
  required: ['run_id', 'status', 'trigger', 'instance', 'started_at', 'finished_at', 'scanned', 'diffs_found', 'alerts_raised',
    'auto_fixed', 'duration_ms', 'error'],
  properties: {
    run_id: { type: 'string', format: 'uuid' }, status: { type: 'string', enum: runStatuses },
    trigger: { type: 'string', enum: runTriggers }, instance: { type: 'string' },
    started_at: dateTime, finished_at: { type: ['string', 'null'], format: 'date-time' },
    scanned: integer, diffs_found: integer, alerts_raised: integer, auto_fixed: integer,
    duration_ms: { type: ['integer', 'null'], format: 'int64' }, error: { type: ['string', 'null'] },
  },
} as const;

export const serviceStatsSchema = {
  operationId: 'getServiceStats',
  tags,
  summary: 'This instance\'s engine, the last health run and the diffs',
  description: 'This instance since it started (uptime, syncs, flushes, queues: live), and the database\'s last health run ' +
    'and diffs (a snapshot at most inventory.stats_max_age_ms old: as_of, age_seconds).',
  errorCodes: errorCodes(...codesOf.read),
  response: {
    200: envelopeSchema({
      title: 'ServiceStats',
      type: 'object', additionalProperties: false,
      required: ['started_at', 'uptime_seconds', 'sync', 'flushes', 'queue_depths', 'queue_depth_total', 'last_health_run', 'diffs',
        'as_of', 'age_seconds'],
      properties: {
        started_at: dateTime,
        uptime_seconds: number,
        sync: {
          type: 'object', additionalProperties: false, required: ['total', 'by_result', 'success_rate'],
          properties: { total: integer, by_result: countsByKey, success_rate: { type: ['number', 'null'], format: 'double' } },
        },
        flushes: {
          type: 'object', additionalProperties: false, required: ['total', 'by_outcome', 'batches', 'batched_ops', 'mean_batch_size'],
          properties: {
            total: integer, by_outcome: countsByKey, batches: integer, batched_ops: integer,
            mean_batch_size: { type: ['number', 'null'], format: 'double' },
          },
        },
        queue_depths: { type: 'array', items: integer },
        queue_depth_total: integer,
        last_health_run: lastRunSchema,
        diffs: {
          type: 'object', additionalProperties: false, required: ['pending', 'fixed', 'ignored'],
          properties: { pending: integer, fixed: integer, ignored: integer },
        },
        as_of: asOf, age_seconds: ageSeconds,
      },
    }, {
      started_at: exampleTime, uptime_seconds: 3600.5,
      sync: { total: 52000, by_result: { success: 51000, insufficient_stock: 1000 }, success_rate: 0.98 },
      flushes: { total: 9000, by_outcome: { committed: 9000 }, batches: 9000, batched_ops: 52000, mean_batch_size: 5.8 },
      queue_depths: [0, 2], queue_depth_total: 2, last_health_run: null, diffs: { pending: 1, fixed: 4, ignored: 0 },
      as_of: exampleTime, age_seconds: 0.8,
    }),
  },
} as const;
