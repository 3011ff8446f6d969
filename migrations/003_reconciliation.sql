-- Reconciliation runs of the health checker. One row per run, written by the instance that holds
-- the reconciliation advisory lock; other instances read it to join a run they did not start.
-- A small table without product_id: under Citus it would be a reference table, not distributed.
CREATE TABLE reconcile_runs (
  run_id         TEXT        NOT NULL,
  status         TEXT        NOT NULL DEFAULT 'running',
  trigger        TEXT        NOT NULL,
  instance       TEXT        NOT NULL,   -- host:pid of the instance that ran it
  started_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  finished_at    TIMESTAMPTZ,
  progress_at    TIMESTAMPTZ,            -- when scanned_rows was last brought up to date
  scanned_rows   BIGINT      NOT NULL DEFAULT 0,
  candidates     BIGINT      NOT NULL DEFAULT 0,   -- rows that differed on the first look
  diffs_found    BIGINT      NOT NULL DEFAULT 0,   -- differences still there on a second look
  alerts_raised  BIGINT      NOT NULL DEFAULT 0,
  auto_fixed     BIGINT      NOT NULL DEFAULT 0,
  error          TEXT,
  PRIMARY KEY (run_id),
  CONSTRAINT reconcile_runs_status_known CHECK (status IN ('running', 'completed', 'failed', 'aborted')),
  CONSTRAINT reconcile_runs_trigger_known CHECK (trigger IN ('schedule', 'manual', 'check'))
);
CREATE INDEX reconcile_runs_started_at ON reconcile_runs (started_at DESC);
-- Besides the advisory lock: the database itself refuses a second running run.
CREATE UNIQUE INDEX reconcile_runs_one_running ON reconcile_runs ((true)) WHERE status = 'running';

-- The row version the difference was seen at: a use_redis fix applies only if the product is
-- still at it, so a fix computed from an old reading is refused instead of applied wrongly.
ALTER TABLE inventory_diffs ADD COLUMN db_version BIGINT;

-- GET /api/v1/alerts without a status filter pages by id alone.
CREATE INDEX inventory_alerts_id ON inventory_alerts (id);
