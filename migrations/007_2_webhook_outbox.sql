-- Webhook deliveries (docs/operations.md, "Webhooks"). An event is written here by the statement
-- (or in the transaction) of the change that causes it, one row per subscribed webhook: a change
-- that rolls back leaves no row, one that commits cannot lose its row. The delivery worker claims
-- due rows with FOR UPDATE SKIP LOCKED and leases them (next_attempt_at moves past the request
-- timeout), so two instances never send one row at once and a crash only delays it.
CREATE TABLE webhook_outbox (
  id              BIGSERIAL   NOT NULL,
  product_id      BIGINT,                 -- NULL for events of the whole service (rebuild.finished)
  event_type      TEXT        NOT NULL,
  webhook_url     TEXT        NOT NULL,   -- which configured webhook receives it
  data            JSONB       NOT NULL,
  alert_id        BIGINT,                 -- alert.raised: the alert that becomes `sent` on a 2xx
  status          TEXT        NOT NULL DEFAULT 'pending',
  attempts        INTEGER     NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_error      TEXT,
  last_status     INTEGER,                -- the receiver's last HTTP status, NULL when none came
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  delivered_at    TIMESTAMPTZ,
  PRIMARY KEY (id),
  CONSTRAINT webhook_outbox_status_known CHECK (status IN ('pending', 'delivered', 'failed')),
  CONSTRAINT webhook_outbox_event_known CHECK (event_type IN (
    'alert.raised', 'alert.closed', 'stock.low', 'stock.out', 'stock.back_in_stock', 'diff.found', 'rebuild.finished'))
);
-- The worker's claim: due pending rows, oldest first. Delivered and failed rows leave the index.
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_outbox_product ON webhook_outbox (product_id, id);

-- An alert's `sent` now means a webhook accepted it (a 2xx to its alert.raised delivery). An alert
-- is open while `pending` (not delivered yet) or `sent`; a cleared or handled one is `closed`
-- (what `sent` meant before this migration), a dismissed one `ignored`.
ALTER TABLE inventory_alerts DROP CONSTRAINT inventory_alerts_status_known;
UPDATE inventory_alerts SET status = 'closed' WHERE status = 'sent';
ALTER TABLE inventory_alerts ADD CONSTRAINT inventory_alerts_status_known
  CHECK (status IN ('pending', 'sent', 'closed', 'ignored'));
ALTER TABLE inventory_alerts ADD COLUMN sent_at TIMESTAMPTZ;
-- "One open alert per (product, type)": a delivered alert still holds its place.
DROP INDEX inventory_alerts_one_pending;
CREATE UNIQUE INDEX inventory_alerts_one_open ON inventory_alerts (product_id, alert_type) WHERE status IN ('pending', 'sent');
