/** Schemas of the ledger routes: audits, point-in-time stock, restore (docs/ledger.md). */
import type { AuditProblem } from '../../../ledger/ledger-fold.js';
import * as limits from '../../../limits.js';
import type { AuditRunStatus } from '../../../store/postgres/audit-run-queries.js';
import { envelopeSchema } from '../../envelope.js';
import { codesOf, errorCodes } from '../../openapi-errors.js';
import {
  dateTime as timestamp, exampleTime, idSchema, instantSchema, int64 as integer, nullableDateTime as nullableTimestamp,
  nullableInt64 as nullableInteger, nullableString, productIdParams, runIdSchema, runStartedSchema, text, traceIdSchema,
  versionSchema,
} from '../../schemas.js';
import { changeResultSchema } from '../sync/sync-schemas.js';

const tags = ['ledger'] as const;
const auditRunStatuses = ['running', 'completed', 'failed', 'aborted'] as const satisfies readonly AuditRunStatus[];
const auditProblems = ['chain_break', 'checkpoint_break', 'stock_differs', 'reserved_differs', 'no_history', 'no_inventory_row'] as const satisfies readonly AuditProblem[];

const stockPair = {
  title: 'StockPair',
  type: 'object', additionalProperties: false, required: ['stock', 'reserved'],
  properties: { stock: integer, reserved: integer },
} as const;

const problemsSchema = { type: 'array', items: { type: 'string', enum: auditProblems } } as const;

export const auditVerdictSchema = {
  title: 'AuditVerdict',
  type: 'object', additionalProperties: false,
  required: ['product_id', 'agrees', 'problems', 'row_agrees', 'chain_unbroken', 'first_break', 'rows_checked', 'last_log_id',
    'ledger', 'row', 'checkpoint'],
  properties: {
    product_id: integer,
    agrees: { type: 'boolean', description: 'row_agrees and chain_unbroken, and no other problem' },
    problems: problemsSchema,
    row_agrees: { type: 'boolean', description: "the row's stock and reserved equal checkpoint + the sums of the later rows" },
    chain_unbroken: { type: 'boolean', description: "every row's before_stock is the previous row's after_stock" },
    first_break: {
      title: 'ChainBreak',
      type: ['object', 'null'], additionalProperties: false, required: ['log_id', 'expected_before_stock', 'before_stock'],
      properties: { log_id: integer, expected_before_stock: integer, before_stock: integer },
    },
    rows_checked: { ...integer, description: 'log rows after the checkpoint' },
    last_log_id: nullableInteger,
    ledger: stockPair,
    row: { ...stockPair, type: ['object', 'null'] },
    checkpoint: {
      title: 'Checkpoint',
      type: ['object', 'null'], additionalProperties: false, required: ['log_id', 'stock', 'reserved', 'at'],
      properties: { log_id: integer, stock: integer, reserved: integer, at: timestamp },
    },
  },
} as const;

const ledgerStateSchema = {
  title: 'LedgerState',
  type: 'object', additionalProperties: false,
  required: ['product_id', 'stock', 'reserved', 'available', 'log_id', 'log_at', 'earliest_time', 'checkpoint_log_id'],
  properties: {
    product_id: integer, stock: integer, reserved: integer, available: integer,
    log_id: { ...nullableInteger, description: 'the last log row the state includes' },
    log_at: nullableTimestamp,
    earliest_time: { ...nullableTimestamp, description: "the earliest time this product's retained history answers for" },
    checkpoint_log_id: nullableInteger,
  },
} as const;

const ledgerStateExample = {
  product_id: 1001, stock: 95, reserved: 0, available: 95, log_id: 90210, log_at: exampleTime, earliest_time: '2026-11-01T00:00:00.000Z',
  checkpoint_log_id: null,
} as const;

export const productAuditSchema = {
  operationId: 'auditProductLedger',
  tags,
  summary: "Check a product's row and chain against its ledger",
  description: "Streams the product's log rows from its checkpoint and answers whether the row's stock and reserved equal " +
    'the ledger and whether each before_stock is the previous after_stock, naming the first break.',
  params: productIdParams,
  errorCodes: errorCodes('INVENTORY_NOT_FOUND', ...codesOf.read),
  response: {
    200: envelopeSchema(auditVerdictSchema, {
      product_id: 1001, agrees: true, problems: [], row_agrees: true, chain_unbroken: true, first_break: null, rows_checked: 2,
      last_log_id: 90210, ledger: { stock: 95, reserved: 0 }, row: { stock: 95, reserved: 0 }, checkpoint: null,
    }, 'Product 1001 agrees with its ledger (2 rows after its checkpoint).'),
  },
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
  errorCodes: errorCodes('HISTORY_NOT_RETAINED', 'INVENTORY_NOT_FOUND', ...codesOf.read),
  response: { 200: envelopeSchema(ledgerStateSchema, ledgerStateExample) },
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
    examples: [{ to_time: '2026-11-30T07:00:00Z', reason: 'undo a bad import', operator: 'alice', idempotency_key: 'restore-1001-a' }],
  },
  errorCodes: errorCodes('HISTORY_NOT_RETAINED', 'LOG_ROW_NOT_FOUND', 'RESTORE_BELOW_RESERVED', 'VERSION_CONFLICT', 'IDEMPOTENCY_CONFLICT',
    ...codesOf.stockChange, ...codesOf.engine, ...codesOf.notNaive),
  response: {
    200: envelopeSchema({
      title: 'RestoreResult',
      type: 'object', additionalProperties: false, required: ['product_id', 'restored', 'target', 'change'],
      properties: {
        product_id: integer,
        restored: { type: 'boolean', description: 'false when the stock already had the target value (nothing written)' },
        target: ledgerStateSchema,
        change: { ...changeResultSchema, type: ['object', 'null'] },
      },
    }, {
      product_id: 1001, restored: true, target: ledgerStateExample,
      change: { product_id: 1001, delta: 5, before_stock: 90, after_stock: 95, stock: 95, reserved: 0, available: 95, version: 9,
        log_id: 90300, replayed: false },
    }, 'Stock set to 95 by log row 90300.'),
  },
} as const;

const auditRunSchema = {
  title: 'AuditRun',
  type: 'object', additionalProperties: false,
  required: ['run_id', 'status', 'instance', 'started_at', 'finished_at', 'duration_ms', 'products', 'rows_scanned', 'disagreements',
    'findings_kept', 'error', 'findings'],
  properties: {
    run_id: { type: 'string', format: 'uuid' }, status: { type: 'string', enum: auditRunStatuses }, instance: { type: 'string' },
    started_at: timestamp, finished_at: nullableTimestamp, duration_ms: integer,
    products: integer, rows_scanned: integer,
    disagreements: { ...integer, description: 'products whose row or chain disagreed with their ledger' },
    findings_kept: integer, error: nullableString,
    findings: {
      type: 'array',
      items: {
        title: 'AuditFinding',
        type: 'object', additionalProperties: false,
        required: ['product_id', 'problems', 'stock', 'reserved', 'ledger_stock', 'ledger_reserved', 'first_break_log_id', 'rows_checked'],
        properties: {
          product_id: integer, problems: problemsSchema, stock: nullableInteger, reserved: nullableInteger,
          ledger_stock: integer, ledger_reserved: integer, first_break_log_id: nullableInteger, rows_checked: integer,
        },
      },
    },
  },
} as const;

const exampleAuditId = '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

export const startAuditSchema = {
  operationId: 'startLedgerAudit',
  tags,
  summary: 'Start a full ledger audit of every product (or join the running one)',
  description: 'Answers 202 with the run id at once; worker threads check every product against its ledger.',
  errorCodes: errorCodes('OVERLOADED', ...codesOf.write),
  response: {
    202: envelopeSchema(runStartedSchema, { run_id: exampleAuditId, joined: false, status_url: `/api/v1/ledger/audits/${exampleAuditId}` },
      'Audit started.'),
  },
} as const;

export const auditRunParams = {
  type: 'object', additionalProperties: false, required: ['runId'],
  properties: { runId: { ...runIdSchema, description: 'The audit run id (a UUID), as the start answered it' } },
} as const;

export const auditRunSchemaRoute = {
  operationId: 'getLedgerAudit',
  tags,
  summary: "Read a full ledger audit's report",
  description: `Progress while it runs; counts and the first ${limits.auditReportFindingsMax} disagreeing products once it has finished.`,
  params: auditRunParams,
  errorCodes: errorCodes('AUDIT_RUN_NOT_FOUND', ...codesOf.read),
  response: {
    200: envelopeSchema(auditRunSchema, {
      run_id: exampleAuditId, status: 'completed', instance: 'inventory-1', started_at: exampleTime, finished_at: exampleTime,
      duration_ms: 4200, products: 10000, rows_scanned: 250000, disagreements: 0, findings_kept: 0, error: null, findings: [],
    }),
  },
} as const;
