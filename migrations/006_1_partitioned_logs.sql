-- inventory_logs becomes a table partitioned by range of created_at, so history past
-- history.retention_days leaves by dropping whole partitions instead of deleting rows
-- (docs/ledger.md). The service itself creates partitions ahead and drops old ones
-- (src/ledger/ledger-maintenance.ts); no extension is needed.
--
-- The existing table is not copied: it is renamed and attached as the first partition,
-- `inventory_logs_legacy`, covering everything before the end of the current UTC day (or of the
-- day of its newest row, if a clock put one later). It leaves, like any partition, once its upper
-- bound is past the retention. Attaching scans it once (partition constraint) and builds the new
-- primary key over its rows; writes to the table wait for this migration (minutes only for tables
-- of hundreds of millions of rows: see docs/ledger.md for that case).
--
-- Kept as they were: every column, its defaults and CHECKs, the id sequence
-- inventory_logs_id_seq (now owned by the new table, so dropping the legacy partition can never
-- drop it), and the indexes by (product_id, id) (now the primary key's prefix), order_id and
-- trace_id. A unique key on a partitioned table must include the partition key, hence
-- (product_id, id, created_at); ids stay unique because they come from one sequence.

ALTER TABLE inventory_logs RENAME TO inventory_logs_legacy;
ALTER TABLE inventory_logs_legacy DROP CONSTRAINT inventory_logs_pkey;
ALTER INDEX inventory_logs_order_id RENAME TO inventory_logs_legacy_order_id;
ALTER INDEX inventory_logs_trace_id RENAME TO inventory_logs_legacy_trace_id;

CREATE TABLE inventory_logs (LIKE inventory_logs_legacy INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
  PARTITION BY RANGE (created_at);
ALTER TABLE inventory_logs ADD CONSTRAINT inventory_logs_pkey PRIMARY KEY (product_id, id, created_at);
CREATE INDEX inventory_logs_order_id ON inventory_logs (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX inventory_logs_trace_id ON inventory_logs (trace_id) WHERE trace_id IS NOT NULL;
ALTER SEQUENCE inventory_logs_id_seq OWNED BY inventory_logs.id;

DO $$
DECLARE
  newest TIMESTAMPTZ := (SELECT max(created_at) FROM inventory_logs_legacy);
  upper_bound TIMESTAMPTZ := date_trunc('day', greatest(now(), coalesce(newest, now())) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                             + interval '1 day';
BEGIN
  EXECUTE format('ALTER TABLE inventory_logs ATTACH PARTITION inventory_logs_legacy FOR VALUES FROM (MINVALUE) TO (%L)',
                 upper_bound);
END $$;
