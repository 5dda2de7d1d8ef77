-- The W3C trace context (traceparent) of the request, command or task whose
-- transaction wrote the event, so the relay's span and the gateways'
-- fan-out join its trace (ARCHITECTURE.md section 11). NULL when tracing is
-- off, and in rows written by an older api during a rolling upgrade.
-- Adding a nullable column without a default rewrites nothing.

-- +goose Up
ALTER TABLE outbox ADD COLUMN trace text;

-- +goose Down
ALTER TABLE outbox DROP COLUMN trace;
