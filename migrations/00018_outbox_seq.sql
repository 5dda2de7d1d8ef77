-- The room seq of a message.created event, so whoever publishes it (its
-- committer right after the commit, or the relay) has the streams append
-- a room's messages in seq order, once each (messaging's Publisher).
-- NULL for other events, and in rows written by an older api during a
-- rolling upgrade (published unsequenced, as before). Adding a nullable
-- column without a default rewrites nothing.

-- +goose Up
ALTER TABLE outbox ADD COLUMN seq bigint;

-- +goose Down
ALTER TABLE outbox DROP COLUMN seq;
