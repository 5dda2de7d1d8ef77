-- The full-text index took each message into GIN's pending list, and the
-- insert that found the list over gin_pending_list_limit (4 MB) merged all
-- of it into the index, holding its batch's room locks meanwhile: at 2,000
-- messages/s one send batch in every ~11 s took 300-550 ms, the whole p99
-- of the message path. Without fastupdate every insert updates the index
-- itself: a little more per message, no stalls.

-- +goose Up
ALTER INDEX messages_search_idx SET (fastupdate = off);
-- What is pending stays pending until merged: merge it now, not in an insert.
SELECT gin_clean_pending_list('messages_search_idx');

-- +goose Down
ALTER INDEX messages_search_idx RESET (fastupdate);
