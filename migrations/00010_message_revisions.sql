-- Message changes (ARCHITECTURE.md section 8): edits, deletions, reactions
-- and replies, each numbered by the room's revision.
--
-- Invariants kept here (the application relies on them):
--   * rooms.rev is the room's revision: every change to one of its messages
--     (creation, edit, deletion, reaction) takes rooms.rev + 1 under the
--     room row lock, the same lock and statement that hands out seq on a
--     send, and stamps it on the message (messages.rev). So a room's
--     messages have distinct revs, and a message's rev only grows.
--   * a deleted message keeps its row and seq (no gap): content '',
--     deleted_at set, its reactions removed.
--   * reactions holds one row per (message, user, emoji); messages.reactions
--     is its per-emoji count, kept in the same transaction, so history
--     pages read counts without touching reactions.
--   * reply_count counts the replies to a message (deleted ones included).

-- +goose Up
ALTER TABLE rooms ADD COLUMN rev bigint NOT NULL DEFAULT 0 CHECK (rev >= 0);
-- Existing rooms: each message so far was one change, so rev = last_seq.
UPDATE rooms SET rev = last_seq WHERE last_seq > 0;

ALTER TABLE messages
    ADD COLUMN rev         bigint      NOT NULL DEFAULT 0,
    ADD COLUMN edited_at   timestamptz,
    ADD COLUMN deleted_at  timestamptz,
    ADD COLUMN reply_to    uuid        REFERENCES messages (id),
    ADD COLUMN reply_count integer     NOT NULL DEFAULT 0 CHECK (reply_count >= 0),
    -- [{"emoji": "...", "count": n}, ...] in first-reaction order; NULL: none.
    ADD COLUMN reactions   jsonb;
UPDATE messages SET rev = seq;
-- Only a deleted message has no content.
ALTER TABLE messages DROP CONSTRAINT messages_content_check,
    ADD CONSTRAINT messages_content_check CHECK (content <> '' OR deleted_at IS NOT NULL);
-- changedSince pages and the resume of changes scan a room by rev.
CREATE UNIQUE INDEX messages_room_rev_idx ON messages (room_id, rev);
-- Thread listings: a parent's replies in seq order.
CREATE INDEX messages_reply_to_idx ON messages (reply_to, seq) WHERE reply_to IS NOT NULL;

CREATE TABLE reactions (
    message_id uuid        NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id    uuid        NOT NULL REFERENCES users (id),
    emoji      text        NOT NULL CHECK (char_length(emoji) BETWEEN 1 AND 64),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (message_id, user_id, emoji)
);

-- +goose Down
DROP TABLE reactions;
DROP INDEX messages_reply_to_idx;
DROP INDEX messages_room_rev_idx;
DELETE FROM messages WHERE deleted_at IS NOT NULL;
ALTER TABLE messages DROP CONSTRAINT messages_content_check,
    ADD CONSTRAINT messages_content_check CHECK (content <> '');
ALTER TABLE messages DROP COLUMN reactions, DROP COLUMN reply_count, DROP COLUMN reply_to,
    DROP COLUMN deleted_at, DROP COLUMN edited_at, DROP COLUMN rev;
ALTER TABLE rooms DROP COLUMN rev;
