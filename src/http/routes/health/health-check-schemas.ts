/** Schemas of the health checker's routes (reconciliation runs and diff fixes). */
import * as limits from '../../../limits.js';
import { envelopeSchema } from '../../envelope.js';
import { nextCursorSchema, pageQueryFields } from '../../pagination.js';
import { idParams, idSchema, optionalText, productIdSchema, traceIdSchema } from '../../schemas.js';

const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;
const nullableInteger = { type: ['integer', 'null'] } as const;

export const diffSchema = {
  type: 'object', additionalProperties: false,
  properties: {
    id: { type: 'integer' }, product_id: { type: 'integer' }, run_id: { type: 'string' },
    db_stock: { type: 'integer' }, redis_stock: nullableInteger, diff: { type: 'integer' }, db_version: nullableInteger,
    status: { type: 'string' }, fix_type: { type: ['string', 'null'] },
    fixed_at: nullableTimestamp, fixed_by: { type: ['string', 'null'] }, created_at: timestamp,
  },
} as const;

export const reportSchema = {
  type: 'object', additionalProperties: false,
  properties: {
    run_id: { type: 'string' }, status: { type: 'string' }, trigger: { type: 'string' }, instance: { type: 'string' },
    started_at: timestamp, finished_at: nullableTimestamp,
    scanned: { type: 'integer' }, candidates: { type: 'integer' }, settling: { type: 'integer' }, moved: { type: 'integer' },
    diffs_found: { type: 'integer' },
    alerts_raised: { type: 'integer' }, auto_fixed: { type: 'integer' },
    duration_ms: { type: 'integer' }, rows_per_second: { type: 'integer' }, error: { type: ['string', 'null'] },
    diffs: { type: 'array', items: diffSchema },
  },
} as const;

const tags = ['health'] as const;

export const checkRouteSchema = {
  operationId: 'runHealthCheck',
  tags,
  summary: 'Run a reconciliation now (or join the running one) and answer its report',
  description: `Waits up to ${limits.healthCheckWaitMs / 1000} s for the run; a longer run is answered 202 with its ` +
    'status URL. Starts work, so it needs the operator token when one is configured.',
  response: { '2xx': envelopeSchema(reportSchema), 503: envelopeSchema(reportSchema) },
} as const;

export const triggerRouteSchema = {
  operationId: 'triggerHealthCheck',
  tags,
  summary: 'Start a reconciliation in the background (or join the running one)',
  description: 'Answers 202 at once with the run id and the URL to read its report from.',
  response: {
    202: envelopeSchema({
      type: 'object', additionalProperties: false,
      properties: { run_id: { type: 'string' }, joined: { type: 'boolean' }, status_url: { type: 'string' } },
    }),
  },
} as const;

/** Run ids are UUIDs; anything else cannot name a run. */
const runIdSchema = { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' } as const;

export const runRouteSchema = {
  operationId: 'getHealthRun',
  tags,
  summary: 'Read a reconciliation run\'s report',
  description: 'Progress while it runs; counts, the first diffs and the outcome once it has finished.',
  params: {
    type: 'object', additionalProperties: false, required: ['runId'],
    properties: { runId: runIdSchema },
  },
  response: { 200: envelopeSchema(reportSchema) },
} as const;

export const diffsRouteSchema = {
  operationId: 'listDiffs',
  tags,
  summary: 'List recorded differences, newest first, filtered by status, run and product (keyset pagination)',
  description: 'Every diff a reconciliation run recorded; `next_cursor` gives the next page.',
  querystring: {
    type: 'object', additionalProperties: false,
    properties: {
      status: { enum: ['pending', 'fixed', 'ignored'] },
      run_id: runIdSchema,
      product_id: productIdSchema,
      ...pageQueryFields,
    },
  },
  response: {
    200: envelopeSchema({
      type: 'object', additionalProperties: false,
      properties: { items: { type: 'array', items: diffSchema }, next_cursor: nextCursorSchema },
    }),
  },
} as const;

const fixFields = {
  fix_type: { enum: ['use_db', 'use_redis', 'ignore'] },
  operator: optionalText(limits.operatorLengthMax),
  trace_id: traceIdSchema,
} as const;

export const bulkFixRouteSchema = {
  operationId: 'fixDiffs',
  tags,
  summary: `Fix up to ${limits.bulkFixIdsMax} recorded differences at once`,
  description: 'Each id is fixed as POST /health/fix/{diffId} would fix it, with the same rules and error codes; ' +
    'one result per id, in the order given. One id failing never fails the others: the answer is 200 whatever ' +
    'the results, and `applied` / `refused` count them.',
  body: {
    type: 'object', additionalProperties: false, required: ['diff_ids', 'fix_type'],
    properties: {
      diff_ids: { type: 'array', items: idSchema, minItems: 1, maxItems: limits.bulkFixIdsMax, uniqueItems: true },
      ...fixFields,
    },
  },
  response: {
    200: envelopeSchema({
      type: 'object', additionalProperties: false,
      properties: {
        applied: { type: 'integer' }, refused: { type: 'integer' },
        results: {
          type: 'array',
          items: {
            type: 'object', additionalProperties: false,
            properties: {
              diff_id: { type: 'integer' }, success: { type: 'boolean' }, code: { type: ['string', 'null'] },
              message: { type: 'string' }, diff: { anyOf: [diffSchema, { type: 'null' }] },
            },
          },
        },
      },
    }),
  },
} as const;

export const fixRouteSchema = {
  operationId: 'fixDiff',
  tags,
  summary: 'Fix a recorded difference between PostgreSQL and Redis',
  description: 'use_db writes the database\'s value into Redis, use_redis applies the difference to the database ' +
    'through the engine, ignore closes it; only a pending difference can be fixed.',
  params: idParams('diffId'),
  body: { type: 'object', additionalProperties: false, required: ['fix_type'], properties: fixFields },
  response: { 200: envelopeSchema(diffSchema) },
} as const;
