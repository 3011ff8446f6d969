-- Full ledger audits (POST /api/v1/ledger/audits): one row per run, written by the instance that
-- holds the audit advisory lock, and the products that disagreed with their ledger (at most
-- limits.auditFindingsMax per run; the run counts them all). Runs are few and small: under Citus
-- the runs table would be a reference table; findings carry product_id.
CREATE TABLE ledger_audit_runs (
  run_id         TEXT        NOT NULL,
  status         TEXT        NOT NULL DEFAULT 'running',
  instance       TEXT        NOT NULL,
  started_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  finished_at    TIMESTAMPTZ,
  products       BIGINT      NOT NULL DEFAULT 0,   -- products audited
  rows_scanned   BIGINT      NOT NULL DEFAULT 0,   -- log rows read
  disagreements  BIGINT      NOT NULL DEFAULT 0,   -- products whose row or chain disagreed with the ledger
  findings_kept  BIGINT      NOT NULL DEFAULT 0,   -- of those, recorded in ledger_audit_findings
  error          TEXT,
  PRIMARY KEY (run_id),
  CONSTRAINT ledger_audit_runs_status_known CHECK (status IN ('running', 'completed', 'failed', 'aborted'))
);
CREATE INDEX ledger_audit_runs_started_at ON ledger_audit_runs (started_at DESC);
CREATE UNIQUE INDEX ledger_audit_runs_one_running ON ledger_audit_runs ((true)) WHERE status = 'running';

CREATE TABLE ledger_audit_findings (
  run_id          TEXT    NOT NULL,
  product_id      BIGINT  NOT NULL,
  problems        TEXT[]  NOT NULL,
  stock           BIGINT,             -- the row's; NULL when the product has no inventory row
  reserved        BIGINT,
  ledger_stock    BIGINT  NOT NULL,   -- checkpoint + the sum of the rows after it
  ledger_reserved BIGINT  NOT NULL,
  first_break_log_id BIGINT,          -- the first row whose before_stock is not the previous after_stock
  rows_checked    BIGINT  NOT NULL,
  PRIMARY KEY (run_id, product_id)
);
