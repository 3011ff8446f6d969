-- Order holds (issue 12, docs/orders.md): every line of a cart reserved together, then confirmed,
-- released or expired together, in one transaction each.
--
-- The lines are ordinary rows of inventory_reservations (with their reserve/confirm/release log
-- rows and the product's version bump), marked order_hold so that the single-reservation routes
-- and sweeper leave them to the order: a line never changes apart from its order.
--
-- order_holds is the one table without product_id: an order spans products. On Citus it would be
-- a table distributed by order_id of its own (its transaction then spans nodes, as an order does).

CREATE TABLE order_holds (
  order_id     TEXT        NOT NULL,
  status       TEXT        NOT NULL DEFAULT 'held',
  -- The lines as asked, in product order ("<product>x<quantity>,…"): a retry of the same cart
  -- replays the hold, another cart under the same order id is refused.
  fingerprint  TEXT        NOT NULL,
  line_count   INTEGER     NOT NULL,
  expires_at   TIMESTAMPTZ NOT NULL,
  trace_id     TEXT,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (order_id),
  CONSTRAINT order_holds_status_known CHECK (status IN ('held', 'confirmed', 'released', 'expired')),
  CONSTRAINT order_holds_line_count_positive CHECK (line_count > 0)
);
-- The sweeper's question: which held orders are past their expiry, oldest first.
CREATE INDEX order_holds_due ON order_holds (expires_at) WHERE status = 'held';

-- A constant default: no table rewrite, existing reservations are single ones.
ALTER TABLE inventory_reservations ADD COLUMN order_hold BOOLEAN NOT NULL DEFAULT false;
-- An order's lines, found by order id alone (the unique index leads with product_id).
CREATE INDEX inventory_reservations_order_hold ON inventory_reservations (order_id) WHERE order_hold;
