-- The outbox relay that last published a batch (messaging's Drain): a
-- relay that takes the relay lock after another process held it first
-- checks the event streams' tails, since that process may have appended
-- records and died before committing them. One row at most.

-- +goose Up
CREATE TABLE outbox_relay (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    holder text NOT NULL
);

-- +goose Down
DROP TABLE outbox_relay;
