-- Safety (ARCHITECTURE.md section 9): blocks between users, room roles,
-- mutes and bans, reports and the moderation log, hidden messages.
--
-- Invariants kept here (the application relies on them):
--   * a membership's role is owner, moderator or member; rooms.owner_id is
--     the one member whose role is owner (a role change never touches it).
--   * a banned user has no membership row in the room: the ban and the
--     removal are written in one transaction under the room row lock, and
--     joining or being added re-checks room_bans under that lock.
--   * a mute or ban whose until has passed is inert (readers compare until
--     with the clock); expired rows are left for the next mute or ban of
--     the same user, which replaces them.
--   * a report has at most one open row per (message, reporter); automatic
--     moderation reports with reporter_id NULL, also at most once.
--   * moderation_log is append-only: one row per moderation action.

-- +goose Up
ALTER TABLE memberships DROP CONSTRAINT memberships_role_check,
    ADD CONSTRAINT memberships_role_check CHECK (role IN ('owner', 'moderator', 'member'));

-- blocker_id blocks blocked_id. Private: only the blocker lists it.
CREATE TABLE user_blocks (
    blocker_id uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id),
    CONSTRAINT user_blocks_self CHECK (blocker_id <> blocked_id)
);
-- "Does anyone block this sender?" (push recipients, direct rooms).
CREATE INDEX user_blocks_blocked_idx ON user_blocks (blocked_id, blocker_id);

CREATE TABLE room_mutes (
    room_id    uuid        NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    until      timestamptz NOT NULL,
    by_id      uuid        NOT NULL REFERENCES users (id),
    reason     text        NOT NULL DEFAULT '' CHECK (char_length(reason) <= 500),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (room_id, user_id)
);

CREATE TABLE room_bans (
    room_id    uuid        NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    until      timestamptz, -- NULL: until unbanned
    by_id      uuid        NOT NULL REFERENCES users (id),
    reason     text        NOT NULL DEFAULT '' CHECK (char_length(reason) <= 500),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (room_id, user_id)
);

CREATE TABLE reports (
    id          uuid        PRIMARY KEY,
    room_id     uuid        NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    message_id  uuid        NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    reporter_id uuid        REFERENCES users (id) ON DELETE SET NULL, -- NULL: automatic moderation
    reason      text        NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    status      text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    action      text        CHECK (action IN ('dismiss', 'delete', 'mute', 'ban')),
    resolved_by uuid        REFERENCES users (id),
    resolved_at timestamptz,
    created_at  timestamptz NOT NULL,
    CONSTRAINT reports_resolved CHECK ((status = 'resolved') = (action IS NOT NULL AND resolved_at IS NOT NULL))
);
CREATE UNIQUE INDEX reports_open_once_idx ON reports (message_id, COALESCE(reporter_id, '00000000-0000-0000-0000-000000000000'::uuid))
    WHERE status = 'open';
-- The moderation queue of a room, oldest first (ids are UUIDv7: time order).
CREATE INDEX reports_room_idx ON reports (room_id, status, id);

CREATE TABLE moderation_log (
    id             uuid        PRIMARY KEY, -- UUIDv7: time order
    room_id        uuid        NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    actor_id       uuid        REFERENCES users (id), -- NULL: automatic moderation
    action         text        NOT NULL,
    target_user_id uuid,
    message_id     uuid,
    report_id      uuid,
    reason         text        NOT NULL DEFAULT '',
    until          timestamptz,
    created_at     timestamptz NOT NULL
);
CREATE INDEX moderation_log_room_idx ON moderation_log (room_id, id);

-- {"status": "hidden", "reason": "..."}: hidden by moderation, its content
-- withheld from everyone but the room's moderators. NULL: visible.
ALTER TABLE messages ADD COLUMN moderation jsonb;

-- +goose Down
ALTER TABLE messages DROP COLUMN moderation;
DROP TABLE moderation_log;
DROP TABLE reports;
DROP TABLE room_bans;
DROP TABLE room_mutes;
DROP TABLE user_blocks;
UPDATE memberships SET role = 'member' WHERE role = 'moderator';
ALTER TABLE memberships DROP CONSTRAINT memberships_role_check,
    ADD CONSTRAINT memberships_role_check CHECK (role IN ('owner', 'member'));
