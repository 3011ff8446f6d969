-- Idempotency records expire after idempotency.retention_hours (docs/ledger.md): the ledger's
-- maintenance cycle deletes them oldest first in bounded batches, found through this index. It is
-- appended to at its right edge (created_at is the writing transaction's start), the cheapest
-- index insert there is; building it over existing rows blocks writes of keys until this commits.
CREATE INDEX inventory_idempotency_created_at ON inventory_idempotency (created_at);
