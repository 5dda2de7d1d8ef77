-- messaging_assert(ok, message) raises SQLSTATE CH001 with message unless
-- ok, and returns true. A statement sent in one round trip with the COMMIT
-- that follows it (messaging's AppendBatch pipelines its insert and
-- COMMIT) calls it to fail, and so roll its transaction back, when it did
-- not do all it was given: plain SQL has no conditional error (a CASE
-- branch like 1/0 may be folded at plan time and fail every call).

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION messaging_assert(ok boolean, message text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT ok THEN
        RAISE EXCEPTION USING ERRCODE = 'CH001', MESSAGE = message;
    END IF;
    RETURN true;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION messaging_assert(boolean, text);
