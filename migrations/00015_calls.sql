-- Calls (ARCHITECTURE.md section 10): WebRTC signaling state, and the call
-- entry a call leaves in its room's history.
--
-- Invariants kept here (modules/calls relies on them):
--   * a call moves ringing -> active -> ended, or ringing -> ended, once:
--     every transition is one conditional UPDATE (WHERE state = ...), so
--     two api instances (a ring timeout racing an answer, two devices
--     answering at once) can never both win.
--   * ring_deadline is when a ringing call is missed; any api instance may
--     end it (the sweep takes rows with FOR UPDATE SKIP LOCKED).
--   * recorded_at is set once the room's call message exists (posted with
--     client_msg_id 'call:<id>', idempotent); ended calls without it are
--     posted again by the sweep, so a crash between the end and the post
--     loses no history entry.

-- +goose Up
CREATE TABLE calls (
    id               uuid        PRIMARY KEY,
    room_id          uuid        NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    caller_id        uuid        NOT NULL REFERENCES users (id),
    caller_session   uuid        NOT NULL,
    media            text        NOT NULL CHECK (media IN ('audio', 'video')),
    -- The members rung (every member but the caller, when the call began),
    -- and those of them who declined.
    invitees         uuid[]      NOT NULL,
    declined         uuid[]      NOT NULL DEFAULT '{}',
    state            text        NOT NULL CHECK (state IN ('ringing', 'active', 'ended')),
    -- Set when ended: completed, missed, declined, cancelled, busy.
    outcome          text,
    answered_by      uuid,
    answerer_session uuid,
    -- ICE candidates the caller sent before anyone answered, each its JSON
    -- text exactly as sent (relayed unchanged: not jsonb, which reorders),
    -- handed to the answering device with the answer (a bounded number).
    caller_ice       text[]      NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL,
    ring_deadline    timestamptz NOT NULL,
    answered_at      timestamptz,
    ended_at         timestamptz,
    recorded_at      timestamptz
);
CREATE INDEX calls_ringing_idx ON calls (ring_deadline) WHERE state = 'ringing';
CREATE INDEX calls_unrecorded_idx ON calls (ended_at) WHERE state = 'ended' AND recorded_at IS NULL;
-- "Is this user in a call?" (busy): active calls by either party.
CREATE INDEX calls_active_caller_idx ON calls (caller_id) WHERE state = 'active';
CREATE INDEX calls_active_answerer_idx ON calls (answered_by) WHERE state = 'active';
-- The sweep of calls connected longer than CALL_MAX_DURATION.
CREATE INDEX calls_active_since_idx ON calls (answered_at) WHERE state = 'active';

-- A call message: NULL for every other message; its record otherwise
-- ({callId, media, status, startedAt, answeredAt?, endedAt, durationMs}).
ALTER TABLE messages ADD COLUMN call jsonb;

-- +goose Down
ALTER TABLE messages DROP COLUMN call;
DROP TABLE calls;
