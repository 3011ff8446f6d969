/**
 * Every fixed bound of the service, each with the reason for its value. Tunable bounds live in
 * `config/config.yaml` and are checked against the hard maxima here when the service starts.
 * "All loops and all queues must have a fixed upper bound" (TigerBeetle).
 */
import { assert } from './assert.js';

/**
 * Largest stock, reserved or max_stock value. Sums of a whole flush (≤ flushOpsMax deltas of at
 * most deltaAbsMaxLimit each) on top of it must stay exact in a JavaScript number (2^53).
 */
export const stockMax = 1_000_000_000_000_000; // 1e15
/** Hard ceiling for the configurable `inventory.max_delta`. */
export const deltaAbsMaxLimit = 1_000_000_000; // 1e9
/** Operations one actor takes into one flush. Bounds one transaction's duration and size. */
export const flushOpsMaxLimit = 8192;
/** Hard ceiling for `engine.shards`: each shard may hold a pool connection during its flush. */
export const shardsMaxLimit = 256;
/** Hard ceiling for `engine.queue_depth_max` (operations held by one shard, waiting or flushing). */
export const shardQueueDepthMaxLimit = 1_000_000;
/** Products whose stock/version one shard keeps in memory; beyond it the least recently used goes. */
export const shardCachedProductsMax = 100_000;
/** A flush that meets a duplicate key or a deadlock is retried this many times, then refused. */
export const flushAttemptsMax = 5;
/**
 * After a connection dies mid-commit the actor asks PostgreSQL whether the flush landed, for at
 * most this long, so a caller never gets "not applied" for a delta that was committed.
 */
export const outcomeResolveMs = 5_000;
/** Pause between two attempts to resolve an unknown commit outcome. */
export const outcomeResolveRetryMs = 100;

/** Items in one batch request (sync batch, batch get): the contract's limit. */
export const batchItemsMax = 1000;
/** Rows in one page of a list or history answer. */
export const pageRowsMax = 500;
export const pageRowsDefault = 50;

/** Longest accepted strings, so a row and a log line stay small. */
export const orderIdLengthMax = 128;
export const idempotencyKeyLengthMax = 128;
export const traceIdLengthMax = 128;
export const reasonLengthMax = 500;
export const operatorLengthMax = 64;
export const productNameLengthMax = 255;

/**
 * A batch of 1000 items with every string at its maximum is about 1000 × 1 KiB; 2 MiB leaves room
 * for JSON overhead and still refuses a body that could only be an attack or a mistake.
 */
export const bodyLimitBytes = 2 * 1024 * 1024;

/** A flush sends each delta's log columns as one array per column, so no per-row bind limit. */
export const postgresBindParametersMax = 65_535;
/** Bind parameters of the apply statement: 9 scalars plus 13 column arrays. */
export const applyStatementParameters = 22;
assert(applyStatementParameters <= postgresBindParametersMax);
assert(stockMax + flushOpsMaxLimit * deltaAbsMaxLimit < Number.MAX_SAFE_INTEGER);
assert(pageRowsDefault <= pageRowsMax);
