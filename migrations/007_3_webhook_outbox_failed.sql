-- /metrics counts the outbox's pending and failed rows at every scrape. Pending rows have their
-- partial index (webhook_outbox_due); this one lets the failed count skip the delivered rows,
-- which are most of the table for the seven days they are kept.
CREATE INDEX webhook_outbox_failed ON webhook_outbox (id) WHERE status = 'failed';
