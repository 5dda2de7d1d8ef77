-- Notify: the worker's delivery state. sent_emails is the idempotency ledger
-- of e-mail tasks (a task delivered twice sends one mail); push_subscriptions
-- holds the Web Push subscriptions (RFC 8030) users register per device.

-- +goose Up
CREATE TABLE sent_emails (
    -- The task's unique key: its type and the SHA-256 of its token, so a
    -- re-enqueued or re-delivered task maps to the same row.
    key         text        PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 200),
    kind        text        NOT NULL,
    user_id     uuid,
    recipient   text        NOT NULL,
    -- Deterministic per key: a resend after a crash carries the same
    -- Message-ID, which lets mail systems drop the duplicate.
    message_id  text        NOT NULL,
    -- sending: claimed by a worker at claimed_at (a crashed worker's claim
    -- goes stale); retry: the last attempt failed before the mail was
    -- handed over, claim again; sent: done, never again; failed: refused
    -- permanently by the SMTP server (a manual re-run from the dashboard
    -- may claim it again).
    status      text        NOT NULL CHECK (status IN ('sending', 'retry', 'sent', 'failed')),
    attempts    integer     NOT NULL DEFAULT 1,
    last_error  text        NOT NULL DEFAULT '',
    claimed_at  timestamptz NOT NULL,
    sent_at     timestamptz,
    created_at  timestamptz NOT NULL
);
-- Serves the housekeeping purge of old ledger rows.
CREATE INDEX sent_emails_created_idx ON sent_emails (created_at);

CREATE TABLE push_subscriptions (
    id              uuid        PRIMARY KEY,
    user_id         uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The push service URL is the subscription's identity: a browser that
    -- re-subscribes under another account moves the row to that account.
    endpoint        text        NOT NULL CHECK (char_length(endpoint) BETWEEN 1 AND 2048),
    p256dh          text        NOT NULL CHECK (char_length(p256dh) BETWEEN 1 AND 200),
    auth            text        NOT NULL CHECK (char_length(auth) BETWEEN 1 AND 100),
    user_agent      text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    last_success_at timestamptz,
    CONSTRAINT push_subscriptions_endpoint_key UNIQUE (endpoint)
);
-- Serves "subscriptions of a user" (delivery, listing) and the join with
-- room members when picking recipients.
CREATE INDEX push_subscriptions_user_idx ON push_subscriptions (user_id);

-- +goose Down
DROP TABLE push_subscriptions;
DROP TABLE sent_emails;
