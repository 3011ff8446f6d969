/** Schemas of the ledger routes: audits, point-in-time stock, restore (docs/ledger.md). */
import * as limits from '../../../limits.js';
import { envelopeSchema } from '../../envelope.js';
import { idSchema, instantSchema, productIdParams, text, traceIdSchema, versionSchema } from '../../schemas.js';
import { changeResultSchema } from '../sync/sync-schemas.js';

const tags = ['ledger'] as const;
const integer = { type: 'integer' } as const;
const nullableInteger = { type: ['integer', 'null'] } as const;
const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;
const stockPair = {
  type: 'object', additionalProperties: false, required: ['stock', 'reserved'],
  properties: { stock: integer, reserved: integer },
} as const;

/** An error answer: the envelope with `data: null` and a code. */
const errorEnvelope = {
  type: 'object', additionalProperties: false, required: ['success', 'message', 'data', 'code'],
  properties: { success: { type: 'boolean' }, message: { type: 'string' }, data: { type: 'null' }, code: { type: 'string' } },
} as const;

const problemsSchema = {
  type: 'array',
  items: { enum: ['chain_break', 'checkpoint_break', 'stock_differs', 'reserved_differs', 'no_history', 'no_inventory_row'] },
} as const;

export const auditVerdictSchema = {
  type: 'object', additionalProperties: false,
  properties: {
    product_id: integer,
    agrees: { type: 'boolean', description: 'row_agrees and chain_unbroken, and no other problem' },
    problems: problemsSchema,
    row_agrees: { type: 'boolean', description: "the row's stock and reserved equal checkpoint + the sums of the later rows" },
    chain_unbroken: { type: 'boolean', description: "every row's before_stock is the previous row's after_stock" },
    first_break: {
      type: ['object', 'null'], additionalProperties: false,
      properties: { log_id: integer, expected_before_stock: integer, before_stock: integer },
    },
    rows_checked: { type: 'integer', description: 'log rows after the checkpoint' },
    last_log_id: nullableInteger,
    ledger: stockPair,
    row: { ...stockPair, type: ['object', 'null'] },
    checkpoint: {
      type: ['object', 'null'], additionalProperties: false,
      properties: { log_id: integer, stock: integer, reserved: integer, at: timestamp },
    },
  },
} as const;

const ledgerStateSchema = {
  type: 'object', additionalProperties: false,
  properties: {
    product_id: integer, stock: integer, reserved: integer, available: integer,
    log_id: { ...nullableInteger, description: 'the last log row the state includes' },
    log_at: nullableTimestamp,
    earliest_time: { ...nullableTimestamp, description: "the earliest time this product's retained history answers for" },
    checkpoint_log_id: nullableInteger,
  },
} as const;

export const productAuditSchema = {
  operationId: 'auditProductLedger',
  tags,
  summary: "Check a product's row and chain against its ledger",
  description: "Streams the product's log rows from its checkpoint and answers whether the row's stock and reserved equal " +
    'the ledger and whether each before_stock is the previous after_stock, naming the first break.',
  params: productIdParams,
  response: { 200: envelopeSchema(auditVerdictSchema), 404: errorEnvelope, 503: errorEnvelope },
} as const;

export const stockAtSchema = {
  operationId: 'getStockAtTime',
  tags,
  summary: "A product's stock, reserved and available at a moment, from its ledger",
  description: 'Counts the log rows whose transaction had started by `time`. Before the retained history: 400 ' +
    'HISTORY_NOT_RETAINED, naming the earliest time available.',
  params: productIdParams,
  querystring: {
    type: 'object', additionalProperties: false, required: ['time'],
    properties: { time: { ...instantSchema, description: 'ISO 8601 with a time zone, e.g. 2026-11-30T08:00:00Z' } },
  },
  response: { 200: envelopeSchema(ledgerStateSchema), 400: errorEnvelope, 404: errorEnvelope, 503: errorEnvelope },
} as const;

export const restoreSchema = {
  operationId: 'restoreProductStock',
  tags,
  summary: "Set a product's stock back to its ledger value at a point, by a compensating fix entry",
  description: 'Give exactly one of to_time and to_log_id. Writes one `fix` log row through the product\'s actor ' +
    '(version-checked, keyed); never edits or deletes log rows. Only stock is restored: reserved belongs to pending ' +
    'reservations, and a target below it is refused (409 RESTORE_BELOW_RESERVED).',
  params: productIdParams,
  body: {
    type: 'object', additionalProperties: false, required: ['reason', 'operator'],
    properties: {
      to_time: instantSchema,
      to_log_id: idSchema,
      reason: text(limits.restoreReasonLengthMax),
      operator: text(limits.operatorLengthMax),
      idempotency_key: text(limits.idempotencyKeyLengthMax),
      expected_version: versionSchema,
      trace_id: traceIdSchema,
    },
  },
  response: {
    200: envelopeSchema({
      type: 'object', additionalProperties: false,
      properties: {
        product_id: integer,
        restored: { type: 'boolean', description: 'false when the stock already had the target value (nothing written)' },
        target: ledgerStateSchema,
        change: { ...changeResultSchema, type: ['object', 'null'] },
      },
    }),
    400: errorEnvelope, 401: errorEnvelope, 404: errorEnvelope, 409: errorEnvelope, 423: errorEnvelope, 503: errorEnvelope,
  },
} as const;

const auditRunSchema = {
  type: 'object', additionalProperties: false,
  properties: {
    run_id: { type: 'string' }, status: { type: 'string' }, instance: { type: 'string' },
    started_at: timestamp, finished_at: nullableTimestamp, duration_ms: integer,
    products: integer, rows_scanned: integer,
    disagreements: { type: 'integer', description: 'products whose row or chain disagreed with their ledger' },
    findings_kept: integer, error: { type: ['string', 'null'] },
    findings: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false,
        properties: {
          product_id: integer, problems: problemsSchema, stock: nullableInteger, reserved: nullableInteger,
          ledger_stock: integer, ledger_reserved: integer, first_break_log_id: nullableInteger, rows_checked: integer,
        },
      },
    },
  },
} as const;

export const startAuditSchema = {
  operationId: 'startLedgerAudit',
  tags,
  summary: 'Start a full ledger audit of every product (or join the running one)',
  description: 'Answers 202 with the run id at once; worker threads check every product against its ledger.',
  response: {
    202: envelopeSchema({
      type: 'object', additionalProperties: false,
      properties: { run_id: { type: 'string' }, joined: { type: 'boolean' }, status_url: { type: 'string' } },
    }),
    401: errorEnvelope, 503: errorEnvelope,
  },
} as const;

export const auditRunParams = {
  type: 'object', additionalProperties: false, required: ['runId'],
  properties: { runId: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' } },
} as const;

export const auditRunSchemaRoute = {
  operationId: 'getLedgerAudit',
  tags,
  summary: "Read a full ledger audit's report",
  description: `Progress while it runs; counts and the first ${limits.auditReportFindingsMax} disagreeing products once it has finished.`,
  params: auditRunParams,
  response: { 200: envelopeSchema(auditRunSchema), 400: errorEnvelope, 404: errorEnvelope },
} as const;
