-- Attachments: files uploaded into a room, carried by at most one message.
-- An upload no message carries after a grace period is deleted by the
-- worker (blobs first, then the row). A message may carry attachments and
-- no text, so messages.content may now be empty.

-- +goose Up
CREATE TABLE attachments (
    id           uuid        PRIMARY KEY,
    room_id      uuid        NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id      uuid        NOT NULL REFERENCES users (id),
    -- The client's file name, cleaned (base name, no control characters).
    name         text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    -- Sniffed from the bytes by the api, never the client's claim.
    content_type text        NOT NULL,
    size         bigint      NOT NULL CHECK (size >= 0),
    has_thumb    boolean     NOT NULL DEFAULT false,
    -- Set once, when a message claims the upload; position orders a
    -- message's attachments as the sender listed them.
    message_id   uuid        REFERENCES messages (id) ON DELETE CASCADE,
    position     smallint    NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL
);
CREATE INDEX attachments_message_idx ON attachments (message_id, position) WHERE message_id IS NOT NULL;
-- The orphan sweep's work list.
CREATE INDEX attachments_orphans_idx ON attachments (created_at) WHERE message_id IS NULL;

-- A message may carry only attachments: its content may be empty (the
-- messaging module checks content or attachments).
ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_content_check;

-- +goose Down
ALTER TABLE messages ADD CONSTRAINT messages_content_check CHECK (content <> '' OR deleted_at IS NOT NULL) NOT VALID;
DROP TABLE attachments;
