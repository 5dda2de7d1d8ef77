-- Messaging: rooms, their members, messages with a gap-free per-room seq,
-- read receipts and the transactional outbox the event relay drains.
--
-- Invariants kept here (the application relies on them):
--   * messages (room_id, seq) is unique and seq is taken from rooms.last_seq in
--     the transaction that stores the message, under the room row lock, so a
--     room's seqs are 1..last_seq with no gap.
--   * a (user_id, client_msg_id) pair stores at most one message (idempotent
--     resend).
--   * a direct room exists at most once per unordered pair of users
--     (dm_low < dm_high).

-- +goose Up
CREATE TABLE rooms (
    id           uuid        PRIMARY KEY,
    kind         text        NOT NULL CHECK (kind IN ('global', 'public', 'private', 'direct')),
    name         text        NOT NULL DEFAULT '',
    -- Public and private rooms have an owner; global and direct rooms none.
    owner_id     uuid        REFERENCES users (id),
    dm_low       uuid        REFERENCES users (id),
    dm_high      uuid        REFERENCES users (id),
    -- Highest seq handed out; the next message takes last_seq + 1.
    last_seq     bigint      NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    -- Kept by the membership transactions (which hold the room row lock);
    -- 0 for the global room, whose membership is implicit.
    member_count integer     NOT NULL DEFAULT 0 CHECK (member_count >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT rooms_direct_pair CHECK ((kind = 'direct') = (dm_low IS NOT NULL AND dm_high IS NOT NULL)),
    CONSTRAINT rooms_direct_order CHECK (dm_low < dm_high),
    CONSTRAINT rooms_owner CHECK ((kind IN ('public', 'private')) = (owner_id IS NOT NULL)),
    CONSTRAINT rooms_name_length CHECK (char_length(name) <= 100)
);
-- "Asking twice for the same pair gives the same room".
CREATE UNIQUE INDEX rooms_direct_pair_idx ON rooms (dm_low, dm_high) WHERE kind = 'direct';
-- Serves the public room directory, paged by id.
CREATE INDEX rooms_public_idx ON rooms (id) WHERE kind = 'public';

-- Explicit members of public, private and direct rooms. Everyone is
-- implicitly in the global room: it has no rows here.
CREATE TABLE memberships (
    room_id   uuid        NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id   uuid        NOT NULL REFERENCES users (id),
    role      text        NOT NULL CHECK (role IN ('owner', 'member')),
    joined_at timestamptz NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
-- Serves "my rooms" (paged by room id) and the search room filter.
CREATE UNIQUE INDEX memberships_user_room_idx ON memberships (user_id, room_id);

CREATE TABLE messages (
    id            uuid        PRIMARY KEY,
    room_id       uuid        NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq           bigint      NOT NULL CHECK (seq > 0),
    user_id       uuid        NOT NULL REFERENCES users (id),
    -- Stored exactly as sent: untrusted text, escaped by whoever renders it.
    content       text        NOT NULL CHECK (content <> ''),
    client_msg_id text        CHECK (char_length(client_msg_id) BETWEEN 1 AND 64),
    created_at    timestamptz NOT NULL,
    -- 'simple': no stemming or stop words, so every language is searchable
    -- the same way.
    search        tsvector    GENERATED ALWAYS AS (to_tsvector('simple', content)) STORED,
    -- History pages and "last message of a room" are range/point scans here.
    CONSTRAINT messages_room_seq_key UNIQUE (room_id, seq)
);
CREATE UNIQUE INDEX messages_idempotency_idx ON messages (user_id, client_msg_id) WHERE client_msg_id IS NOT NULL;
CREATE INDEX messages_search_idx ON messages USING gin (search);

-- Each member's last read seq per room; only ever moves forward. A separate
-- table (not a memberships column) so it works for the global room too.
CREATE TABLE read_receipts (
    room_id       uuid        NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id       uuid        NOT NULL REFERENCES users (id),
    last_read_seq bigint      NOT NULL DEFAULT 0 CHECK (last_read_seq >= 0),
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (room_id, user_id)
);

-- Transactional outbox: an event row is written in the transaction of the
-- change it describes; the relay publishes pending rows to Redis in id order
-- and stamps published_at. Published rows are pruned after a retention period.
CREATE TABLE outbox (
    id           bigserial   PRIMARY KEY,
    event_id     uuid        NOT NULL,
    room_id      uuid        NOT NULL,
    type         text        NOT NULL,
    payload      jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
-- The relay's work queue: small because published rows leave it.
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE published_at IS NULL;

-- The global room: fixed id, every user is in it.
INSERT INTO rooms (id, kind, name) VALUES ('00000000-0000-0000-0000-000000000001', 'global', 'global');

-- +goose Down
DROP TABLE outbox;
DROP TABLE read_receipts;
DROP TABLE messages;
DROP TABLE memberships;
DROP TABLE rooms;
