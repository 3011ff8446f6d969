-- Rebuilds of Redis from PostgreSQL are runs too (issue 13): the same table, told apart by `kind`,
-- with the keys a rebuild wrote and the keys it left alone (Redis held a newer version; in seckill
-- mode, a key the front end already holds). One running run per kind: a rebuild may go on beside
-- a reconciliation run, never beside another rebuild.
ALTER TABLE reconcile_runs
  ADD COLUMN kind         TEXT   NOT NULL DEFAULT 'reconcile',
  ADD COLUMN keys_written BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN keys_skipped BIGINT NOT NULL DEFAULT 0,
  ADD CONSTRAINT reconcile_runs_kind_known CHECK (kind IN ('reconcile', 'rebuild'));
-- `redis_empty`: the service found its marker key gone (Redis came back empty) and rebuilt by itself.
ALTER TABLE reconcile_runs DROP CONSTRAINT reconcile_runs_trigger_known,
  ADD CONSTRAINT reconcile_runs_trigger_known CHECK (trigger IN ('schedule', 'manual', 'check', 'redis_empty'));
DROP INDEX reconcile_runs_one_running;
CREATE UNIQUE INDEX reconcile_runs_one_running ON reconcile_runs (kind) WHERE status = 'running';
