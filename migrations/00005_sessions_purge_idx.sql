-- Serves the housekeeping purge of dead sessions (apps/worker housekeeping:
-- "expired, or revoked, before a cutoff"), which otherwise reads the whole
-- sessions table on every run.
--
-- LEAST skips NULLs, so LEAST(expires_at, revoked_at) < cutoff is exactly
-- "expires_at < cutoff OR revoked_at < cutoff", and the purge becomes one
-- range scan that stops at its batch LIMIT. A partial index cannot help: the
-- cutoff moves with time (an index predicate must be immutable) and every
-- session ends up dead, so no predicate would exclude any row for good.
--
-- Its own file because CREATE INDEX CONCURRENTLY cannot run in a
-- transaction: the table stays writable (logins, refreshes) while it builds.
-- Should the build fail, it leaves an INVALID index behind and the rerun
-- stops on "already exists": drop it (DROP INDEX CONCURRENTLY
-- sessions_purge_idx) and migrate again.

-- +goose NO TRANSACTION

-- +goose Up
CREATE INDEX CONCURRENTLY sessions_purge_idx ON sessions ((LEAST(expires_at, revoked_at)));

-- +goose Down
DROP INDEX CONCURRENTLY sessions_purge_idx;
