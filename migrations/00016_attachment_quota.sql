-- Attachments: the per-user upload quota, and a flag that spares pages of
-- messages without files the attachments lookup.
--
--   * A user's quota use is the sum of attachments.size over their rows
--     (unattached uploads, and files of messages, until deleted or swept):
--     one source of truth that deletes, sweeps and cascades keep right. An
--     upload adds its row only after checking that sum under a per-user
--     advisory lock, so concurrent uploads cannot overshoot.
--   * messages.has_attachments is true while attachment rows point at the
--     message: set by the send that claims them, cleared when a deleted
--     message's files are gone. History, thread, changedSince and search
--     pages look attachments up only for flagged messages; the worker finds
--     deleted messages whose files remain by the partial index.

-- +goose Up
CREATE INDEX attachments_user_idx ON attachments (user_id) INCLUDE (size);

ALTER TABLE messages ADD COLUMN has_attachments boolean NOT NULL DEFAULT false;
UPDATE messages m SET has_attachments = true
WHERE EXISTS (SELECT 1 FROM attachments a WHERE a.message_id = m.id);
CREATE INDEX messages_deleted_files_idx ON messages (deleted_at) WHERE deleted_at IS NOT NULL AND has_attachments;

-- +goose Down
DROP INDEX messages_deleted_files_idx;
ALTER TABLE messages DROP COLUMN has_attachments;
DROP INDEX attachments_user_idx;
