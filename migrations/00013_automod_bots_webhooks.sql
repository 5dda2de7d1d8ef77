-- Bots and outgoing webhooks (ARCHITECTURE.md §9). Automatic moderation
-- needs no table of its own: it hides messages (messages.moderation) and
-- opens reports through the messaging module (00012).
--
-- A bot is a user (users.is_bot) with no e-mail login: its users row holds a
-- reserved address under .invalid (RFC 2606) and no password hash anyone can
-- match, and login refuses bots outright. Its long-lived token is stored
-- only as a SHA-256 hash; revoking sets revoked_at (the row stays, so the
-- bot's messages keep an author).

-- +goose Up
ALTER TABLE users ADD COLUMN is_bot boolean NOT NULL DEFAULT false;

CREATE TABLE bots (
    user_id    uuid        PRIMARY KEY REFERENCES users (id),
    owner_id   uuid        NOT NULL REFERENCES users (id),
    token_hash bytea       NOT NULL CHECK (octet_length(token_hash) = 32),
    created_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CONSTRAINT bots_token_hash_key UNIQUE (token_hash)
);
-- Serves "my bots".
CREATE INDEX bots_owner_idx ON bots (owner_id);

-- Outgoing webhooks of a room. The secret is kept in clear: the worker
-- signs every delivery with it. failures counts consecutive failed
-- attempts; past the configured limit the hook is disabled (disabled_at)
-- until its room's owner enables it again.
CREATE TABLE room_webhooks (
    id          uuid        PRIMARY KEY,
    room_id     uuid        NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    created_by  uuid        NOT NULL REFERENCES users (id),
    url         text        NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2048),
    events      text[]      NOT NULL,
    secret      text        NOT NULL,
    failures    integer     NOT NULL DEFAULT 0 CHECK (failures >= 0),
    last_error  text        NOT NULL DEFAULT '',
    disabled_at timestamptz,
    created_at  timestamptz NOT NULL
);
-- Serves "the live hooks of a room" on every event.
CREATE INDEX room_webhooks_room_idx ON room_webhooks (room_id);

-- +goose Down
DROP TABLE room_webhooks;
DROP TABLE bots;
ALTER TABLE users DROP COLUMN is_bot;
