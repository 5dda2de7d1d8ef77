-- Serves the api's revocation re-seed (modules/identity
-- ReseedRevocations), which every REVOCATION_RESEED_INTERVAL lists the
-- sessions revoked within the last access-token lifetime: a range scan of
-- the few revoked rows instead of a read of the whole table. Partial: live
-- sessions (revoked_at NULL) are most rows and never match.
--
-- CONCURRENTLY, like 00005, so logins keep writing while it builds; a
-- failed build leaves an INVALID index: drop it and migrate again.

-- +goose NO TRANSACTION

-- +goose Up
CREATE INDEX CONCURRENTLY sessions_revoked_at_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

-- +goose Down
DROP INDEX CONCURRENTLY sessions_revoked_at_idx;
