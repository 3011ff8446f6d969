-- Core tables of the inventory service. Every table carries product_id and every unique key
-- includes it, so the schema can be distributed by product_id (Citus) without change.

CREATE TABLE inventories (
  product_id     BIGINT      NOT NULL,
  product_name   TEXT        NOT NULL DEFAULT '',
  stock          BIGINT      NOT NULL DEFAULT 0,
  reserved       BIGINT      NOT NULL DEFAULT 0,
  available      BIGINT      GENERATED ALWAYS AS (stock - reserved) STORED,
  -- +1 per applied flush or operator update; every write is guarded by the version it was planned on.
  version        BIGINT      NOT NULL DEFAULT 1,
  status         TEXT        NOT NULL DEFAULT 'active',
  min_stock      BIGINT      NOT NULL DEFAULT 0,
  max_stock      BIGINT      NOT NULL DEFAULT 0,   -- 0 = no limit
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (product_id),
  CONSTRAINT inventories_product_id_positive CHECK (product_id > 0),
  CONSTRAINT inventories_stock_nonnegative CHECK (stock >= 0),
  CONSTRAINT inventories_reserved_nonnegative CHECK (reserved >= 0),
  CONSTRAINT inventories_reserved_within_stock CHECK (reserved <= stock),
  CONSTRAINT inventories_status_known CHECK (status IN ('active', 'inactive', 'locked')),
  CONSTRAINT inventories_min_stock_nonnegative CHECK (min_stock >= 0),
  CONSTRAINT inventories_max_stock_nonnegative CHECK (max_stock >= 0)
);
CREATE INDEX inventories_status_product ON inventories (status, product_id);

-- One row per applied change (not per flush), written in the transaction of the change.
CREATE TABLE inventory_logs (
  id             BIGSERIAL   NOT NULL,
  product_id     BIGINT      NOT NULL,
  op_type        TEXT        NOT NULL,
  delta          BIGINT      NOT NULL,             -- change of stock
  reserved_delta BIGINT      NOT NULL DEFAULT 0,   -- change of reserved (reservations)
  before_stock   BIGINT      NOT NULL,
  after_stock    BIGINT      NOT NULL,
  order_id       TEXT,
  reason         TEXT,
  operator       TEXT,
  trace_id       TEXT,
  -- Random token of the engine flush that wrote the row: after a connection dies mid-commit the
  -- engine looks for it to learn whether the flush landed. NULL for rows written outside a flush.
  flush_id       BIGINT,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (product_id, id),
  CONSTRAINT inventory_logs_op_type_known CHECK (op_type IN
    ('deduct', 'add', 'sync', 'init', 'reserve', 'release', 'confirm', 'fix', 'update')),
  CONSTRAINT inventory_logs_after_is_before_plus_delta CHECK (after_stock = before_stock + delta)
);
CREATE INDEX inventory_logs_order_id ON inventory_logs (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX inventory_logs_trace_id ON inventory_logs (trace_id) WHERE trace_id IS NOT NULL;

-- The first result of every keyed change, recorded in the same transaction as the change; the
-- primary key is what makes a duplicate from another flush or instance fail instead of applying.
CREATE TABLE inventory_idempotency (
  product_id     BIGINT      NOT NULL,
  idem_key       TEXT        NOT NULL,   -- 'o:<op_type>:<order_id>' or 'k:<idempotency_key>'
  op_type        TEXT        NOT NULL,
  delta          BIGINT      NOT NULL,
  log_id         BIGINT      NOT NULL,
  before_stock   BIGINT      NOT NULL,
  after_stock    BIGINT      NOT NULL,
  stock          BIGINT      NOT NULL,
  reserved       BIGINT      NOT NULL,
  available      BIGINT      NOT NULL,
  version        BIGINT      NOT NULL,
  reservation_id BIGINT,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (product_id, idem_key)
);

-- Differences between Redis and PostgreSQL found by a reconciliation run.
CREATE TABLE inventory_diffs (
  id             BIGSERIAL   NOT NULL,
  product_id     BIGINT      NOT NULL,
  run_id         TEXT        NOT NULL,
  db_stock       BIGINT      NOT NULL,   -- the value Redis should hold (available, in cache mode)
  redis_stock    BIGINT,                 -- NULL: the key was missing
  diff           BIGINT      NOT NULL,   -- redis_stock - db_stock (missing key counts as 0)
  status         TEXT        NOT NULL DEFAULT 'pending',
  fix_type       TEXT,
  fixed_at       TIMESTAMPTZ,
  fixed_by       TEXT,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (product_id, id),
  CONSTRAINT inventory_diffs_status_known CHECK (status IN ('pending', 'fixed', 'ignored')),
  CONSTRAINT inventory_diffs_fix_type_known CHECK (fix_type IS NULL OR fix_type IN ('use_db', 'use_redis', 'ignore'))
);
CREATE INDEX inventory_diffs_id ON inventory_diffs (id);
CREATE INDEX inventory_diffs_status_id ON inventory_diffs (status, id);
CREATE INDEX inventory_diffs_run_id ON inventory_diffs (run_id);

CREATE TABLE inventory_alerts (
  id             BIGSERIAL   NOT NULL,
  product_id     BIGINT      NOT NULL,
  alert_type     TEXT        NOT NULL,
  message        TEXT        NOT NULL,
  level          TEXT        NOT NULL,
  status         TEXT        NOT NULL DEFAULT 'pending',
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (product_id, id),
  CONSTRAINT inventory_alerts_type_known CHECK (alert_type IN ('low_stock', 'out_of_stock', 'diff_alert')),
  CONSTRAINT inventory_alerts_level_known CHECK (level IN ('info', 'warning', 'error')),
  CONSTRAINT inventory_alerts_status_known CHECK (status IN ('pending', 'sent', 'ignored'))
);
-- "One pending alert per (product, type)".
CREATE UNIQUE INDEX inventory_alerts_one_pending ON inventory_alerts (product_id, alert_type) WHERE status = 'pending';
CREATE INDEX inventory_alerts_status_id ON inventory_alerts (status, id);
