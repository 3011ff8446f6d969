-- A product's checkpoint: its stock and reserved after a given log row, written before the
-- partition holding that row is dropped, so "checkpoint + the sum of later rows = the row" stays
-- checkable for ever (docs/ledger.md). One row per product, moved forward at every cut.
CREATE TABLE inventory_checkpoints (
  product_id      BIGINT      NOT NULL,
  log_id          BIGINT      NOT NULL,   -- the last log row the checkpoint covers
  stock           BIGINT      NOT NULL,   -- that row's after_stock: what the next row's before_stock builds on
  -- The previous checkpoint's stock plus the deltas of the rows this one covers: differs from
  -- `stock` when the history that was cut had a break, which the cut keeps visible to audits.
  stock_by_sum    BIGINT      NOT NULL,
  reserved        BIGINT      NOT NULL,   -- the previous checkpoint's reserved plus the covered rows' reserved_delta
  log_created_at  TIMESTAMPTZ NOT NULL,   -- created_at of row log_id: the earliest time the ledger can answer for
  rows_cut        BIGINT      NOT NULL,   -- log rows of this product cut so far, in all
  partition_name  TEXT        NOT NULL,   -- the partition whose cut wrote this checkpoint
  cut_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (product_id)
);

-- Partitions being cut or cut: the maintenance cycle's state machine, so a cut interrupted at any
-- step resumes where it stopped (checkpoints are rewritten idempotently; a detach left pending is
-- finalized) and only tables this service detached are ever dropped.
CREATE TABLE inventory_log_cuts (
  partition_name  TEXT        NOT NULL,
  from_at         TIMESTAMPTZ,            -- NULL: the partition started at MINVALUE
  to_at           TIMESTAMPTZ NOT NULL,
  status          TEXT        NOT NULL DEFAULT 'checkpointing',
  products        BIGINT      NOT NULL DEFAULT 0,   -- products with rows in the partition
  checkpoints     BIGINT      NOT NULL DEFAULT 0,   -- checkpoints written or moved forward
  started_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  finished_at     TIMESTAMPTZ,
  PRIMARY KEY (partition_name),
  CONSTRAINT inventory_log_cuts_status_known CHECK (status IN ('checkpointing', 'detaching', 'dropped'))
);
