-- The relay now deletes outbox rows in the transaction that publishes them
-- instead of stamping published_at (no second row version per event, and
-- the table holds only the backlog), so the worker no longer prunes them.
-- Rows stamped before this version are garbage: remove them here.
-- published_at stays (always NULL from now on) so a relay of the previous
-- version still running during a rolling upgrade keeps working.
--
-- Every event leaves a dead row: vacuum the table whenever a few thousand
-- have gathered, not at 20% of its (tiny) size plus the default threshold.
-- Without cost delays: the table and its indexes are small.

-- +goose Up
DELETE FROM outbox WHERE published_at IS NOT NULL;
ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000,
    autovacuum_vacuum_cost_delay = 0);

-- +goose Down
ALTER TABLE outbox RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold,
    autovacuum_vacuum_cost_delay);
