/** Schemas of the health checker's routes (reconciliation runs, rebuilds, the diffs runs recorded, and fixes). */
import * as limits from '../../../limits.js';
import type { RunKind, RunStatus, RunTrigger } from '../../../store/postgres/reconcile-run-queries.js';
import type { DiffStatus, FixType } from '../../../store/postgres/diff-queries.js';
import type { ErrorCode } from '../../../errors.js';
import { envelopeSchema } from '../../envelope.js';
import { codesOf, errorCodes, errorWithDataSchema } from '../../openapi-errors.js';
import { nextCursorSchema, pageQueryFields } from '../../pagination.js';
import {
  dateTime, exampleTime, idParams, idSchema, int64, nullableDateTime, nullableInt64, nullableString, optionalText, productIdSchema,
  runIdSchema, runStartedSchema, traceIdSchema,
} from '../../schemas.js';

const diffStatuses = ['pending', 'fixed', 'ignored'] as const satisfies readonly DiffStatus[];
const fixTypes = ['use_db', 'use_redis', 'ignore'] as const satisfies readonly FixType[];
export const runStatuses = ['running', 'completed', 'failed', 'aborted'] as const satisfies readonly RunStatus[];
export const runTriggers = ['schedule', 'manual', 'check', 'redis_empty'] as const satisfies readonly RunTrigger[];
const runKinds = ['reconcile', 'rebuild'] as const satisfies readonly RunKind[];

export const diffSchema = {
  title: 'Diff',
  type: 'object', additionalProperties: false,
  required: ['id', 'product_id', 'run_id', 'db_stock', 'redis_stock', 'diff', 'db_version', 'status', 'fix_type', 'fixed_at',
    'fixed_by', 'created_at'],
  properties: {
    id: int64, product_id: int64, run_id: { type: 'string', format: 'uuid' },
    db_stock: int64, redis_stock: { ...nullableInt64, description: 'null: the Redis key was missing' },
    diff: { ...int64, description: 'redis_stock - db_stock' }, db_version: nullableInt64,
    status: { type: 'string', enum: diffStatuses }, fix_type: { type: ['string', 'null'], enum: [...fixTypes, null] },
    fixed_at: nullableDateTime, fixed_by: nullableString, created_at: dateTime,
  },
} as const;

export const reportSchema = {
  title: 'HealthRunReport',
  type: 'object', additionalProperties: false,
  required: ['run_id', 'kind', 'status', 'trigger', 'instance', 'started_at', 'finished_at', 'scanned', 'candidates', 'settling', 'moved',
    'diffs_found', 'alerts_raised', 'auto_fixed', 'keys_written', 'keys_skipped', 'duration_ms', 'rows_per_second', 'error', 'diffs'],
  properties: {
    run_id: { type: 'string', format: 'uuid' },
    kind: { type: 'string', enum: runKinds, description: 'reconcile: a reconciliation run; rebuild: a rebuild of Redis from PostgreSQL' },
    status: { type: 'string', enum: runStatuses },
    trigger: { type: 'string', enum: runTriggers }, instance: { type: 'string' },
    started_at: dateTime, finished_at: nullableDateTime,
    scanned: int64, candidates: int64, settling: int64, moved: int64,
    diffs_found: int64, alerts_raised: int64, auto_fixed: int64,
    keys_written: { ...int64, description: 'rebuild: keys written' },
    keys_skipped: { ...int64, description: 'rebuild: keys left alone because Redis held a newer version (seckill mode: the key existed)' },
    duration_ms: int64, rows_per_second: int64, error: nullableString,
    diffs: { type: 'array', items: diffSchema, description: `the first ${limits.reconcileReportDiffsMax} diffs of the run` },
  },
} as const;

const exampleRunId = '0b6f6f3e-8a0c-4c8e-9a55-2f0e7d3c1a10';
const diffExample = {
  id: 7, product_id: 1001, run_id: exampleRunId, db_stock: 95, redis_stock: 90, diff: -5, db_version: 7, status: 'pending',
  fix_type: null, fixed_at: null, fixed_by: null, created_at: exampleTime,
} as const;
const reportExample = {
  run_id: exampleRunId, kind: 'reconcile', status: 'completed', trigger: 'check', instance: 'inventory-1', started_at: exampleTime,
  finished_at: exampleTime, scanned: 10000, candidates: 3, settling: 0, moved: 2, diffs_found: 1, alerts_raised: 1, auto_fixed: 0,
  keys_written: 0, keys_skipped: 0,
  duration_ms: 850, rows_per_second: 11765, error: null, diffs: [diffExample],
} as const;

const tags = ['health'] as const;

/** The codes of a run's start (src/reconcile/reconcile-runner.ts) and report read. */
const runStartCodes = errorCodes('OVERLOADED', 'SHUTTING_DOWN', ...codesOf.read);

export const checkRouteSchema = {
  operationId: 'runHealthCheck',
  tags,
  summary: 'Run a reconciliation now (or join the running one) and answer its report',
  description: `Waits up to ${limits.healthCheckWaitMs / 1000} s for the run: 200 with the report once it completed, 202 ` +
    'with the report so far while it still runs (read the rest from GET /api/v1/health/runs/{runId}), 503 ' +
    'RECONCILIATION_FAILED with the report when it failed or was aborted. Starts work, so it needs the operator token ' +
    'when one is configured.',
  errorCodes: errorCodes('RECONCILIATION_FAILED', 'RUN_NOT_FOUND', ...runStartCodes),
  response: {
    200: envelopeSchema(reportSchema, reportExample, 'Run 0b6f6f3e-8a0c-4c8e-9a55-2f0e7d3c1a10 completed: 1 diffs in 10000 products.'),
    202: envelopeSchema(reportSchema),
    503: errorWithDataSchema(reportSchema, 'RECONCILIATION_FAILED with the failed run\'s report; the other codes without data.'),
  },
} as const;


export const triggerRouteSchema = {
  operationId: 'triggerHealthCheck',
  tags,
  summary: 'Start a reconciliation in the background (or join the running one)',
  description: 'Answers 202 at once with the run id and the URL to read its report from.',
  errorCodes: errorCodes(...runStartCodes),
  response: {
    202: envelopeSchema(runStartedSchema,
      { run_id: exampleRunId, joined: false, status_url: `/api/v1/health/runs/${exampleRunId}` }, 'Run started.'),
  },
} as const;

export const rebuildRouteSchema = {
  operationId: 'rebuildRedis',
  tags,
  summary: 'Rebuild Redis from PostgreSQL in the background (or join the running rebuild)',
  description: 'Writes every active product\'s available stock and version to Redis with version-guarded writes ' +
    '(a sync committing meanwhile is never overwritten by an older value); in seckill mode only keys that are missing. ' +
    'Answers 202 at once with the run id and the URL of its report (kind "rebuild").',
  errorCodes: errorCodes(...runStartCodes),
  response: {
    202: envelopeSchema(runStartedSchema,
      { run_id: exampleRunId, joined: false, status_url: `/api/v1/health/runs/${exampleRunId}` }, 'Rebuild started.'),
  },
} as const;

export const runRouteSchema = {
  operationId: 'getHealthRun',
  tags,
  summary: 'Read a run\'s report: a reconciliation or a rebuild of Redis',
  description: 'Progress while it runs; counts, the first diffs (reconciliation) or the keys written and skipped (rebuild) ' +
    'and the outcome once it has finished.',
  params: {
    type: 'object', additionalProperties: false, required: ['runId'],
    properties: { runId: { ...runIdSchema, description: 'The run id (a UUID), as the check or trigger answered it' } },
  },
  errorCodes: errorCodes('RUN_NOT_FOUND', ...codesOf.read),
  response: { 200: envelopeSchema(reportSchema, reportExample) },
} as const;

export const diffsRouteSchema = {
  operationId: 'listDiffs',
  tags,
  summary: 'List recorded differences, newest first, filtered by status, run and product (keyset pagination)',
  description: 'Every diff a reconciliation run recorded; `next_cursor` gives the next page.',
  querystring: {
    type: 'object', additionalProperties: false,
    properties: {
      status: { type: 'string', enum: diffStatuses, description: 'Only differences in this status' },
      run_id: { ...runIdSchema, description: 'Only differences this run recorded' },
      product_id: { ...productIdSchema, description: 'Only differences of this product' },
      ...pageQueryFields,
    },
  },
  errorCodes: errorCodes(...codesOf.read),
  response: {
    200: envelopeSchema({
      title: 'DiffPage',
      type: 'object', additionalProperties: false, required: ['items', 'next_cursor'],
      properties: { items: { type: 'array', items: diffSchema }, next_cursor: nextCursorSchema },
    }, { items: [diffExample], next_cursor: null }),
  },
} as const;

const fixFields = {
  fix_type: {
    type: 'string', enum: fixTypes,
    description: 'use_db: Redis takes the database\'s value; use_redis: the database takes Redis\'s; ignore: close it',
  },
  operator: optionalText(limits.operatorLengthMax),
  trace_id: traceIdSchema,
} as const;

/** What fixing one diff can answer (src/reconcile/diff-fixes.ts): the engine's codes for use_redis. */
const fixCodes = errorCodes('DIFF_NOT_FOUND', 'DIFF_NOT_PENDING', 'DIFF_STALE', 'FIX_AMOUNT_EXCEEDED', 'FIX_NOT_APPLICABLE',
  'COMPENSATION_DISABLED', 'REDIS_UNAVAILABLE', 'FIX_OUTCOME_UNKNOWN', ...codesOf.engine, ...codesOf.stockChange);
/**
 * One id's refusal in a bulk fix, as the single fix answers it (or INTERNAL_ERROR for a bug).
 * Typed as any code, so the route's handler needs no narrowing; the document lists these.
 */
const bulkFixItemCodes: readonly ErrorCode[] = [...fixCodes, 'INTERNAL_ERROR'];

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
    examples: [{ diff_ids: [7, 8], fix_type: 'use_db', operator: 'alice' }],
  },
  // Each id is fixed or refused on its own, inside the 200.
  errorCodes: errorCodes(),
  response: {
    200: envelopeSchema({
      title: 'BulkFixResult',
      type: 'object', additionalProperties: false, required: ['applied', 'refused', 'results'],
      properties: {
        applied: int64, refused: int64,
        results: {
          type: 'array',
          description: 'one per id, in the order given',
          items: {
            title: 'BulkFixItemResult',
            type: 'object', additionalProperties: false, required: ['diff_id', 'success', 'code', 'message', 'diff'],
            properties: {
              diff_id: int64, success: { type: 'boolean' },
              code: { type: ['string', 'null'], enum: [...bulkFixItemCodes, null], description: 'set when the id was refused' },
              message: { type: 'string' }, diff: { anyOf: [diffSchema, { type: 'null' }] },
            },
          },
        },
      },
    }, {
      applied: 1, refused: 1, results: [
        { diff_id: 7, success: true, code: null, message: 'Difference 7 is fixed (use_db).',
          diff: { ...diffExample, status: 'fixed', fix_type: 'use_db', fixed_at: exampleTime, fixed_by: 'alice' } },
        { diff_id: 8, success: false, code: 'DIFF_NOT_PENDING', message: 'Difference 8 is fixed, not pending; only a pending difference can be fixed.', diff: null },
      ],
    }, '1 of 2 differences fixed; see each result.'),
  },
} as const;

export const fixRouteSchema = {
  operationId: 'fixDiff',
  tags,
  summary: 'Fix a recorded difference between PostgreSQL and Redis',
  description: 'use_db writes the database\'s value into Redis, use_redis applies the difference to the database ' +
    'through the engine, ignore closes it; only a pending difference can be fixed.',
  params: idParams('diffId', 'The difference id, from a run\'s report'),
  body: {
    type: 'object', additionalProperties: false, required: ['fix_type'], properties: fixFields,
    examples: [{ fix_type: 'use_db', operator: 'alice' }],
  },
  errorCodes: fixCodes,
  response: {
    200: envelopeSchema(diffSchema, { ...diffExample, status: 'fixed', fix_type: 'use_db', fixed_at: exampleTime, fixed_by: 'alice' },
      'Difference 7 is fixed (use_db).'),
  },
} as const;
