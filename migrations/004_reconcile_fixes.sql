-- At most one pending diff per product. A run that finds a product still drifted refreshes its
-- pending diff (values, run_id, db_version) instead of adding another: two pending diffs for one
-- error would each be fixable, and in seckill mode each use_db fix would apply the correction.
-- Duplicates recorded before this migration are closed as ignored, keeping the newest of each.
UPDATE inventory_diffs d
   SET status = 'ignored', fix_type = 'ignore', fixed_at = now(), fixed_by = 'migration 004: superseded by a newer diff'
 WHERE d.status = 'pending'
   AND EXISTS (SELECT 1 FROM inventory_diffs n WHERE n.product_id = d.product_id AND n.status = 'pending' AND n.id > d.id);
CREATE UNIQUE INDEX inventory_diffs_one_pending ON inventory_diffs (product_id) WHERE status = 'pending';

-- How many candidates of a run needed the settling look, and how many of those had moved (were in
-- flight) by then: the report shows that the looks that keep in-flight syncs out of diffs ran.
ALTER TABLE reconcile_runs
  ADD COLUMN settling BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN moved    BIGINT NOT NULL DEFAULT 0;
