-- Identity: users, their sessions, rotating refresh tokens and single-use
-- e-mail tokens (verification, password reset). Tokens are stored only as
-- SHA-256 hashes: a database leak does not hand out usable tokens.

-- +goose Up
CREATE TABLE users (
    id                uuid        PRIMARY KEY,
    -- Stored normalized (trimmed, lower-cased) by the application; the CHECK
    -- keeps that invariant so the plain UNIQUE below is case-insensitive.
    email             text        NOT NULL,
    display_name      text        NOT NULL,
    password_hash     text        NOT NULL,
    email_verified_at timestamptz,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_email_normalized CHECK (email = lower(btrim(email)) AND char_length(email) BETWEEN 3 AND 254),
    CONSTRAINT users_display_name_length CHECK (char_length(display_name) BETWEEN 1 AND 64)
);

CREATE TABLE sessions (
    id           uuid        PRIMARY KEY,
    -- No ON DELETE CASCADE: users are never deleted yet. A future account
    -- deletion must add a full index on user_id (the partial one below only
    -- covers live sessions) before cascading.
    user_id      uuid        NOT NULL REFERENCES users (id),
    user_agent   text        NOT NULL DEFAULT '',
    ip           text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
-- Serves "list my live sessions" and "revoke all sessions of a user"; revoked
-- rows, the bulk of the table over time, stay out of it.
CREATE INDEX sessions_user_live_idx ON sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
    hash       bytea       PRIMARY KEY CHECK (octet_length(hash) = 32),
    session_id uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    spent_at   timestamptz
);
-- Serves the ON DELETE CASCADE when expired sessions are purged.
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

CREATE TABLE email_tokens (
    hash       bytea       PRIMARY KEY CHECK (octet_length(hash) = 32),
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text        NOT NULL CHECK (purpose IN ('verify', 'reset')),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
-- Serves "spend every outstanding reset token of a user" after a reset.
CREATE INDEX email_tokens_user_purpose_idx ON email_tokens (user_id, purpose);

-- +goose Down
DROP TABLE email_tokens;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE users;
