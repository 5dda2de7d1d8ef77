-- Push subscriptions belong to the session that registered them, so they die
-- with it: a logout, a revoked session or a password reset (which revokes
-- every session) stops the pushes, which carry message previews, to the
-- devices of that session. Readers only use a subscription whose session is
-- live (revoked_at IS NULL AND expires_at > now()); the row itself goes when
-- the worker meets it dead at delivery time, or at the latest with its
-- session row (ON DELETE CASCADE, when housekeeping purges the session).
--
-- Existing rows are deleted: they name no session, and guessing one (the
-- user's newest?) could hand a stolen session's subscription a new life.
-- Browsers re-register their subscription when the app next loads, now
-- bound to the session that does it. Rolling deploy: apply this before the
-- new api binaries; until they replace the old ones, a registration served
-- by an old binary fails (session_id is NOT NULL) rather than storing a
-- subscription no session owns.

-- +goose Up
-- No registration may slip in between the DELETE and the ALTER.
LOCK TABLE push_subscriptions IN ACCESS EXCLUSIVE MODE;
DELETE FROM push_subscriptions;
ALTER TABLE push_subscriptions
    ADD COLUMN session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE;
-- Serves the ON DELETE CASCADE when housekeeping purges sessions.
CREATE INDEX push_subscriptions_session_idx ON push_subscriptions (session_id);

-- +goose Down
-- The subscriptions deleted by Up are not restored (browsers re-register).
DROP INDEX push_subscriptions_session_idx;
ALTER TABLE push_subscriptions DROP COLUMN session_id;
