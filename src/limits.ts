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
/**
 * A flush of more products than this is sent as an unnamed statement, so PostgreSQL plans it for
 * its own array sizes. The named statement's generic plan assumes about 10 rows per array and joins
 * the flush's steps by nested loops, quadratic in the products: measured on one 600-product
 * flush, 338 µs of PostgreSQL CPU per delta with the generic plan against 30 with its own plan.
 * Below this, reusing the plan saves the ~0.25 ms planning costs (5 products: 0.85 vs 1.1 ms).
 */
export const flushGenericPlanProductsMax = 64;
/** A flush that meets a duplicate key or a deadlock is retried this many times, then refused. */
export const flushAttemptsMax = 5;
/**
 * After a connection dies mid-commit the actor asks PostgreSQL whether the flush landed, for at
 * most this long, so a caller never gets "not applied" for a delta that was committed.
 */
export const outcomeResolveMs = 5_000;
/** Pause between two attempts to resolve an unknown commit outcome. */
export const outcomeResolveRetryMs = 100;

/**
 * Distinct product ids one coalesced read asks for (GET /api/v1/inventory/:id requests arriving in
 * one turn of the event loop): bounds one query's array and answer, like a batch get.
 */
export const readCoalesceIdsMax = 1000;
/**
 * Lines of one order hold (issue 12). One hold locks this many product rows in one transaction;
 * a cart larger than this is not a cart.
 */
export const orderLinesMax = 100;
/**
 * Order transactions at once. Each holds a read-pool connection for its few round trips (and
 * its product locks meanwhile); on 2 cores more in flight only queue inside PostgreSQL, and the
 * read pool (`database.pool_max − engine.shards`, 18 by default) stays free for reads.
 */
export const orderTransactionsMax = 4;
/** Order operations waiting for a transaction slot; beyond it the answer is 503 OVERLOADED. */
export const orderTransactionsWaitingMax = 1000;
/** Held orders one sweeper pass expires (one transaction each). */
export const orderSweepBatchMax = 100;
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
 * The largest valid body is a sync batch of `batchItemsMax` items with every string at its
 * maximum, written the way a client may legally write it: each non-ASCII character as a 6-byte
 * `\uXXXX` escape (trace ids are ASCII), plus the field names and numbers. The limit admits that
 * and refuses anything larger, which could only be a mistake or an attack.
 */
const syncItemBytesMax = 6 * (orderIdLengthMax + idempotencyKeyLengthMax + reasonLengthMax + operatorLengthMax) +
  traceIdLengthMax + 256;
export const bodyLimitBytes = 6 * 1024 * 1024;
assert(batchItemsMax * syncItemBytesMax + 1024 <= bodyLimitBytes);

/** Node's limit on a request's headers (its default): beyond it the answer is 431. */
export const headerBytesMax = 16 * 1024;
/**
 * A path parameter longer than this is 414. The longest legitimate one is an order id
 * (`orderIdLengthMax` characters; ids are 16 digits at most, run ids 36) %-escaped where a path
 * needs it, 3 characters per escaped ASCII character.
 */
export const pathParamLengthMax = 3 * orderIdLengthMax;

/**
 * SIGTERM to exit: in-flight requests finish and every actor drains within it. A flush waiting on
 * a lock is bounded by `database.postgres.statement_timeout_ms`, which the config check keeps below
 * this (docker compose's stop_grace_period is 30 s).
 */
export const shutdownGraceMs = 25_000;
/**
 * While closing, keep-alive connections that finish their last request become idle after the
 * server stopped closing idle ones, and would hold close() open until their keep-alive timeout:
 * they are looked at this often (src/http/drain.ts).
 */
export const idleConnectionSweepMs = 100;
/**
 * While closing, a keep-alive connection is closed without an answer only once it has been idle
 * this long: a client that is using it sends again well within it and gets 503 SHUTTING_DOWN with
 * Connection: close instead of a reset; one idle this long is not being used. Far below the grace.
 */
export const drainIdleCloseMs = 500;
/**
 * The stats endpoints answer from a snapshot at most this old (`inventory.stats_max_age_ms`): the
 * catalogue figures are one pass over every product (0.64–0.77 s per million rows, measured here),
 * so a dashboard polling 100 times a second costs one pass per 5 s, not 100 a second.
 */
export const statsMaxAgeMsDefault = 5_000;
/** Longest configurable snapshot age: older figures would mislead more than they save. */
export const statsMaxAgeMsLimit = 3_600_000;
/** A health probe answers within this even when a dependency hangs. */
export const healthProbeTimeoutMs = 1000;
/**
 * Node checks for requests over `server.request_timeout_ms` every this often (its default, 30 s,
 * would let a 15 s limit hold a connection for 45 s): a quarter of the limit, between 50 ms (a
 * check costs a walk over the open connections) and 1 s.
 */
export const connectionsCheckingIntervalMinMs = 50;
export const connectionsCheckingIntervalMaxMs = 1000;
export function connectionsCheckingIntervalMs(requestTimeoutMs: number): number {
  return Math.min(connectionsCheckingIntervalMaxMs, Math.max(connectionsCheckingIntervalMinMs, requestTimeoutMs / 4));
}

// ---- Connections ----
/**
 * An idle PostgreSQL pool connection is closed after this: the read pool shrinks back after a
 * burst, while connections in steady use (every shard flushes often under load) are kept, since a
 * new one costs a backend fork and a few milliseconds.
 */
export const pgIdleTimeoutMs = 30_000;
/**
 * Connecting to Redis takes a TCP (and AUTH/SELECT) handshake on top of a command's round trip, so
 * it may take this many times `redis.command_timeout_ms` (at start, and for each reconnection).
 */
export const redisConnectTimeoutFactor = 4;
export function redisConnectTimeoutMs(commandTimeoutMs: number): number {
  return commandTimeoutMs * redisConnectTimeoutFactor;
}
/** Redis reconnection attempts wait this much longer each time … */
export const redisReconnectStepMs = 100;
/** … up to this, so Redis coming back is noticed within a second. */
export const redisReconnectDelayMaxMs = 1000;
/**
 * A log line about a whole flush names at most this many of its requests' trace ids (a flush may
 * hold flushOpsMaxLimit ops): enough to find the requests of a small flush, and a line stays readable.
 */
export const logTraceIdsMax = 32;
/** Longest configurable duration (health_check.interval): timers beyond 2^31 ms misfire. */
export const durationMaxMs = 24 * 3_600_000;
assert(stockMax + flushOpsMaxLimit * deltaAbsMaxLimit < Number.MAX_SAFE_INTEGER);
assert(drainIdleCloseMs * 10 <= shutdownGraceMs);
assert(pageRowsDefault <= pageRowsMax);

// ---- Reconciliation (health checker) ----
/** Hard ceiling for `inventory.health_check.workers`: each thread holds two PostgreSQL connections and one Redis connection. */
export const reconcileWorkersMaxLimit = 16;
/** Hard ceiling for `inventory.health_check.chunk_rows`: a worker holds two chunks (one read ahead). */
export const reconcileChunkRowsMaxLimit = 10_000;
/** Keys in one MGET: bounds one Redis reply, so flash-sale clients are never stuck behind a huge one. */
export const reconcileMgetKeysMax = 1000;
/** Product-id spans per worker thread: several per thread even out spans of uneven density. */
export const reconcilePartitionsPerWorker = 4;
/** Spans one worker thread works on at once (piscina `concurrentTasksPerWorker`). */
export const reconcileSpansPerWorkerThread = 2;
/**
 * piscina `maxQueue`: a run queues all of its partitions at once, and never more; a rebuild (which
 * shares the pool) may do the same at the same time.
 */
export const reconcileQueueMax = 2 * reconcileWorkersMaxLimit * reconcilePartitionsPerWorker;
/** An idle worker thread (and its connections) goes after this; scheduled runs are minutes apart. */
export const reconcileWorkerIdleMs = 60_000;
/** V8 old space per worker: a worker's memory is flat by design, so a leak fails the run, not the process. */
export const reconcileWorkerHeapMb = 96;
/**
 * V8 young generation per worker: a chunk's rows die young, and 8 MB collects them as cheaply as
 * the default (measured: same CPU for 1M rows) while keeping each thread's RSS about 7 MB smaller.
 */
export const reconcileWorkerYoungHeapMb = 8;
/**
 * Candidates waiting for their settling look (see `reconcile-compare.ts`). When it is full the
 * worker waits out the grace and looks at them all, so a run where every key is wrong stays bounded.
 */
export const reconcileSettleQueueMax = 20_000;
/**
 * A post-commit Redis write lands or times out within `redis.command_timeout_ms`; the settling
 * look waits that long plus this margin, so an in-flight write is never taken for a lost one.
 */
export const reconcileSettleMarginMs = 100;
/**
 * A flush sets `updated_at` with clock_timestamp(), after any wait for the row lock, so it
 * precedes the commit by the statement's own work only. A row untouched for the settle
 * grace plus this long has no post-commit write in flight, so its candidate is decided at once.
 */
export const reconcileCommitLagMs = 1000;
/** A reconciliation worker's Redis commands may wait this long: a run is not latency-critical. */
export const reconcileRedisTimeoutMs = 10_000;
/** Diffs listed in a report ("first 100" in the contract). */
export const reconcileReportDiffsMax = 100;
/** WARN lines about single diffs and alerts per run; beyond it one summary line says how many. */
export const reconcileWarnLinesMax = 50;
/** How often a running run writes its progress (run row, log line). */
export const reconcileProgressIntervalMs = 2000;
/** GET /api/v1/health/check waits at most this long (and half the request timeout) for its run. */
export const healthCheckWaitMs = 10_000;
/** How often a caller waiting on another instance's run reads its row. */
export const reconcileRemotePollMs = 100;
/** While another instance holds the run lock: how long to look for its run row, in steps. */
export const reconcileLockLookupSteps = 40;
export const reconcileLockLookupStepMs = 50;
/**
 * Products one rebuild script call writes (3 Redis commands each: GET the version, SET two keys).
 * A script blocks Redis while it runs: 1,000 products is about a millisecond, so a sync's
 * post-commit write never waits longer than that behind a rebuild.
 */
export const rebuildScriptRowsMax = 1000;
/** How often the service looks for its fill marker in Redis (one EXISTS; also on every reconnection). */
export const redisFillCheckMs = 1000;
/**
 * After a rebuild the service started by itself failed, or while another instance's rebuild goes,
 * it waits this long before looking at the marker again.
 */
export const rebuildRetryDelayMs = 10_000;
/** auto_fix takes a run's pending diffs in pages of this many rows. */
export const autoFixPageRows = 500;
/** Diff ids in one bulk fix request (POST /api/v1/health/fix): a batch, like the sync batch. */
export const bulkFixIdsMax = batchItemsMax;
/**
 * Fixes of one bulk request in flight at once. A use_db fix holds a read-pool connection (the row
 * lock) across its Redis write: four keep the pool open for reads while 1,000 fixes still finish
 * within a request's time (about 3 ms each here).
 */
export const bulkFixConcurrency = 4;
assert(reconcileMgetKeysMax <= reconcileChunkRowsMaxLimit);
assert(reconcileSettleQueueMax >= reconcileChunkRowsMaxLimit, 'one chunk of candidates must fit the settle queue');

// ---- Ledger (history partitions, checkpoints, idempotency expiry, audits) ----
/**
 * Whole intervals of `inventory_logs` partitions kept ready beyond the current one: a daily
 * partition set survives a week of failed maintenance before a write finds no partition.
 */
export const partitionsAheadIntervals = 7;
/** Partitions one maintenance cycle may create (the ahead window plus the current one, with room). */
export const partitionsCreatedPerCycleMax = 64;
/** Expired partitions one cycle cuts (checkpoints, detach, drop); the rest wait for the next cycle. */
export const partitionsCutPerCycleMax = 8;
/** Hard ceiling for `history.retention_days` (ten years). */
export const historyRetentionDaysMax = 3650;
/**
 * The longest client retry window we promise: a keyed request retried within 24 hours replays its
 * first result (Stripe and Shopify keep keys about a day). `idempotency.retention_hours` may not go
 * below it.
 */
export const idempotencyRetryWindowHours = 24;
/** Hard ceiling for `idempotency.retention_hours` (a year). */
export const idempotencyRetentionHoursMax = 24 * 366;
/**
 * A maintenance statement waits at most this long for a lock, then gives up until the next cycle:
 * a DDL statement queued behind a long reader would otherwise make every later writer queue too.
 */
export const maintenanceLockTimeoutMs = 2_000;
/** A maintenance statement (a checkpoint or expiry batch, a detach) is cancelled after this. */
export const maintenanceStatementTimeoutMs = 60_000;
/** Products whose checkpoints one statement writes: bounds one transaction while history is cut. */
export const checkpointBatchProducts = 1_000;
/**
 * Idempotency records one expiry statement deletes. Each batch is its own short transaction, so a
 * retry that wants to write the same key waits for at most one batch.
 */
export const idempotencyExpireBatchRows = 2_000;
/** Expiry batches per cycle: 2.4M keys, several times a cycle's worth at 2,000 keyed changes/s. */
export const idempotencyExpireBatchesPerCycle = 1_200;
/** Pause between two expiry batches, so the deletes leave room for the hot path's own I/O. */
export const idempotencyExpirePauseMs = 5;
/**
 * How long after its transaction started a log row can still be written: a flush's statements each
 * end within `database.postgres.statement_timeout_ms` (kept below 25 s by the config check), so an
 * hour is far beyond it. Checkpoints and point-in-time answers read rows at most this far past a
 * partition's bound, where a row with a lower id can sit (its transaction started later).
 */
export const logCommitLagMaxMs = 3_600_000;
assert(partitionsAheadIntervals + 2 <= partitionsCreatedPerCycleMax);
/** Rows an audit takes from its cursor at a time: bounds a worker's (and a route's) memory. */
export const auditCursorRows = 5_000;
/**
 * Inventory rows per audit chunk statement: each chunk is one statement (one snapshot of rows,
 * checkpoints and logs), small enough that PostgreSQL sorts it in memory.
 */
export const auditChunkProducts = 1_000;
/**
 * Worker threads of a full ledger audit (piscina maxThreads). Each holds one connection and streams
 * its span; PostgreSQL does most of the work (the merge of every partition's index), so more
 * threads than cores only queue.
 */
export const auditWorkerThreads = 2;
/** Product-id spans per audit thread: several per thread even out spans of uneven density. */
export const auditSpansPerWorker = 4;
/** piscina `maxQueue`: a run queues all of its spans at once, and never more. */
export const auditQueueMax = auditWorkerThreads * auditSpansPerWorker;
/** An idle audit thread (and its connection) goes after this; audits are rare. */
export const auditWorkerIdleMs = 30_000;
/** V8 heaps per audit worker: its memory is flat by design (one cursor batch, one product's fold). */
export const auditWorkerHeapMb = 64;
export const auditWorkerYoungHeapMb = 8;
/** Disagreeing products an audit run records (and holds in memory); it counts all of them. */
export const auditFindingsMax = 10_000;
/** Findings listed in a run's report. */
export const auditReportFindingsMax = 100;
/** How often a running audit writes its progress to its run row. */
export const auditProgressIntervalMs = 2_000;
/** While another instance holds the audit lock: how long to look for its run row, in steps. */
export const auditLockLookupSteps = 40;
export const auditLockLookupStepMs = 50;
/** A restore's `reason` is prefixed with its target in the log row, within `reasonLengthMax`. */
export const restoreReasonLengthMax = reasonLengthMax - 100;

// ---- Webhooks (src/notifications, docs/operations.md "Webhooks") ----

/** Webhooks in `notifications.webhooks`: each is a subscription every event statement joins against. */
export const webhooksMax = 16;
/**
 * Outbox rows one claim takes. Rows are claimed only for free in-flight slots, so a claim never
 * leases more than it sends at once; this bounds one claim statement when every slot is free.
 */
export const webhookClaimBatchMax = 50;
/** Requests in flight to all webhooks together: bounds sockets and memory when receivers are slow. */
export const webhookInFlightMax = 8;
assert(webhookInFlightMax <= webhookClaimBatchMax);
/** Hard ceiling for `notifications.attempts_max`: after it a delivery is `failed`, kept for an operator. */
export const webhookAttemptsMaxLimit = 20;
/**
 * Hard ceiling for `notifications.request_timeout_ms`. A receiver should answer at once and work
 * later; a slower one holds an in-flight slot that long.
 */
export const webhookRequestTimeoutMsLimit = 30_000;
/** Longest pause between two attempts (the exponential backoff stops growing here). */
export const webhookRetryMaxMsLimit = 3_600_000;
/**
 * A claimed row is leased for the request timeout plus this margin (recording the outcome, a
 * busy event loop): no other worker may claim it while it could still be in flight. A worker that
 * died mid-send leaves it to be sent again after the lease (at least once).
 */
export const webhookLeaseMarginMs = 10_000;
export function webhookLeaseMs(requestTimeoutMs: number): number {
  return requestTimeoutMs + webhookLeaseMarginMs;
}
/** `last_error` keeps this much of an error, so a row stays small. */
export const webhookErrorLengthMax = 500;
/** Bytes of a webhook URL or secret in the config. */
export const webhookUrlLengthMax = 1024;
/**
 * Delivered and failed outbox rows are kept this long (what was sent, when, and why one failed),
 * then deleted; pending rows are never deleted (they end delivered or failed within attempts_max).
 */
export const webhookOutboxRetentionHours = 7 * 24;
/** Rows one cleanup statement deletes: bounds its locks and WAL; a cleanup runs a few of them. */
export const webhookCleanupBatchRows = 5_000;
export const webhookCleanupBatchesMax = 20;
/** How often an instance deletes expired outbox rows. */
export const webhookCleanupIntervalMs = 10 * 60_000;
