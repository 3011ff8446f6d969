/** Response schemas of GET /api/v1/stats/inventory and GET /api/v1/stats/service. */
import { envelopeSchema } from '../../envelope.js';

const integer = { type: 'integer' } as const;
const number = { type: 'number' } as const;
const countsByKey = { type: 'object', additionalProperties: integer } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
/** When the PostgreSQL figures were read, and how long ago (they are a snapshot: see limits.statsMaxAgeMsDefault). */
const asOf = { type: 'string', format: 'date-time', description: 'when the figures from PostgreSQL were read' } as const;
const ageSeconds = { type: 'number', description: 'how long ago, in seconds (at most inventory.stats_max_age_ms)' } as const;

const tags = ['stats'] as const;

export const inventoryStatsSchema = {
  operationId: 'getInventoryStats',
  tags,
  summary: 'What the catalogue holds',
  description: 'Product counts by status, stock totals, and low / out-of-stock counts (active products), from a ' +
    'snapshot at most inventory.stats_max_age_ms old (as_of, age_seconds): one pass over every product per refresh.',
  response: {
    200: envelopeSchema({
      type: 'object', additionalProperties: false,
      properties: {
        products: integer,
        by_status: { type: 'object', additionalProperties: false, properties: { active: integer, inactive: integer, locked: integer } },
        total_stock: number, total_reserved: number, total_available: number,
        low_stock: integer, out_of_stock: integer, low_stock_threshold: integer,
        as_of: asOf, age_seconds: ageSeconds,
      },
    }),
  },
} as const;

const lastRunSchema = {
  type: ['object', 'null'],
  properties: {
    run_id: { type: 'string' }, status: { type: 'string' }, trigger: { type: 'string' }, instance: { type: 'string' },
    started_at: dateTime, finished_at: { type: ['string', 'null'], format: 'date-time' },
    scanned: integer, diffs_found: integer, alerts_raised: integer, auto_fixed: integer,
    duration_ms: { type: ['integer', 'null'] }, error: { type: ['string', 'null'] },
  },
} as const;

export const serviceStatsSchema = {
  operationId: 'getServiceStats',
  tags,
  summary: 'This instance\'s engine, the last health run and the diffs',
  description: 'This instance since it started (uptime, syncs, flushes, queues: live), and the database\'s last health run ' +
    'and diffs (a snapshot at most inventory.stats_max_age_ms old: as_of, age_seconds).',
  response: {
    200: envelopeSchema({
      type: 'object', additionalProperties: false,
      properties: {
        started_at: dateTime,
        uptime_seconds: number,
        sync: {
          type: 'object', additionalProperties: false,
          properties: { total: integer, by_result: countsByKey, success_rate: { type: ['number', 'null'] } },
        },
        flushes: {
          type: 'object', additionalProperties: false,
          properties: {
            total: integer, by_outcome: countsByKey, batches: integer, batched_ops: integer,
            mean_batch_size: { type: ['number', 'null'] },
          },
        },
        queue_depths: { type: 'array', items: integer },
        queue_depth_total: integer,
        last_health_run: lastRunSchema,
        diffs: { type: 'object', additionalProperties: false, properties: { pending: integer, fixed: integer, ignored: integer } },
        as_of: asOf, age_seconds: ageSeconds,
      },
    }),
  },
} as const;
