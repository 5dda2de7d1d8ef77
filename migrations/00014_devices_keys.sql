-- Devices and end-to-end encryption (ARCHITECTURE.md section 10).
--
-- A session is a device: it gets the name the client gave at login. Its
-- end-to-end encryption keys (identity key, signed prekey, one-time
-- prekeys) live exactly as long as the session: they are deleted in the
-- statement that revokes it (trigger below) or deletes it (cascade), so a
-- logged-out device can never be handed out to a sender again.
--
-- Encrypted rooms store no plaintext: messages.content stays '' and
-- messages.ciphertext holds {algorithm, senderDeviceId, recipients:
-- {deviceId: base64}} as the sender made it.

-- +goose Up
ALTER TABLE sessions ADD COLUMN device_name text NOT NULL DEFAULT ''
    CHECK (octet_length(device_name) <= 64);

ALTER TABLE rooms ADD COLUMN encrypted boolean NOT NULL DEFAULT false;
ALTER TABLE messages ADD COLUMN ciphertext jsonb;

CREATE TABLE device_keys (
    session_id       uuid        PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    user_id          uuid        NOT NULL REFERENCES users (id),
    identity_key     text        NOT NULL CHECK (char_length(identity_key) BETWEEN 1 AND 256),
    signed_key_id    bigint      NOT NULL CHECK (signed_key_id >= 0),
    signed_key       text        NOT NULL CHECK (char_length(signed_key) BETWEEN 1 AND 256),
    signed_signature text        NOT NULL CHECK (char_length(signed_signature) BETWEEN 1 AND 512),
    updated_at       timestamptz NOT NULL
);
-- Claims look a user's devices up.
CREATE INDEX device_keys_user_idx ON device_keys (user_id);

CREATE TABLE one_time_keys (
    session_id uuid   NOT NULL REFERENCES device_keys (session_id) ON DELETE CASCADE,
    key_id     bigint NOT NULL CHECK (key_id >= 0),
    public_key text   NOT NULL CHECK (char_length(public_key) BETWEEN 1 AND 256),
    PRIMARY KEY (session_id, key_id)
);

-- +goose StatementBegin
CREATE FUNCTION drop_revoked_session_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM device_keys WHERE session_id = NEW.id;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER sessions_revoked_drop_keys
    AFTER UPDATE OF revoked_at ON sessions
    FOR EACH ROW WHEN (NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL)
    EXECUTE FUNCTION drop_revoked_session_keys();

-- +goose Down
DROP TRIGGER sessions_revoked_drop_keys ON sessions;
DROP FUNCTION drop_revoked_session_keys();
DROP TABLE one_time_keys;
DROP TABLE device_keys;
ALTER TABLE messages DROP COLUMN ciphertext;
ALTER TABLE rooms DROP COLUMN encrypted;
ALTER TABLE sessions DROP COLUMN device_name;
