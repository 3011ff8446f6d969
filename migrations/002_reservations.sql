-- Reservations: available stock held for an order until it is confirmed (deducted), released, or
-- expires. Rows are written and moved only by engine flushes, in the statement that also bumps the
-- product's version, so a flush holding the product's row lock reads them exactly.

CREATE TABLE inventory_reservations (
  id             BIGSERIAL   NOT NULL,
  product_id     BIGINT      NOT NULL,
  order_id       TEXT        NOT NULL,
  quantity       BIGINT      NOT NULL,
  status         TEXT        NOT NULL DEFAULT 'pending',
  expires_at     TIMESTAMPTZ NOT NULL,
  reserve_log_id BIGINT      NOT NULL,   -- the `reserve` log row
  final_log_id   BIGINT,                 -- the `confirm` / `release` log row that ended it
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (product_id, id),
  CONSTRAINT inventory_reservations_quantity_positive CHECK (quantity > 0),
  CONSTRAINT inventory_reservations_status_known CHECK (status IN ('pending', 'confirmed', 'released', 'expired')),
  CONSTRAINT inventory_reservations_final_logged CHECK ((status = 'pending') = (final_log_id IS NULL))
);
-- An order reserves a product once (the idempotency key says the same; this is the second guard).
CREATE UNIQUE INDEX inventory_reservations_order ON inventory_reservations (product_id, order_id);
-- Confirm and release name a reservation by id alone.
CREATE INDEX inventory_reservations_id ON inventory_reservations (id);
-- The sweeper's question: which pending reservations are past their expiry, oldest first.
CREATE INDEX inventory_reservations_due ON inventory_reservations (expires_at) WHERE status = 'pending';

-- A reused reservation key is told apart from a retry by the quantity it reserved.
ALTER TABLE inventory_idempotency ADD COLUMN reserved_delta BIGINT NOT NULL DEFAULT 0;
