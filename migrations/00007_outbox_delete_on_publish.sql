-- The relay now deletes outbox rows in the transaction that publishes them
-- instead of stamping published_at (no second row version per event, and
-- the table holds only the backlog), so the worker no longer prunes them.
-- Rows stamped before this version are garbage: remove them here.
-- published_at stays (always NULL from now on) so a relay of the previous
-- version still running during a rolling upgrade keeps working.

-- +goose Up
DELETE FROM outbox WHERE published_at IS NOT NULL;

-- +goose Down
SELECT 1;
