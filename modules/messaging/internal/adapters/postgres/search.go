package postgres

import (
	"context"
	"strconv"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// SearchCandidates bounds the work of one search: only the newest
// SearchCandidates matching messages (by id, a UUIDv7, so by time) of the
// rooms searched are ranked; older matches are not found. Ranking reads
// each candidate's tsvector, so without the bound a common word in a busy
// global room would rank the room's whole history on every page. The
// OpenAPI description of /api/chat/search states the bound.
const SearchCandidates = 10000

// Search implements app.Searcher. The tsquery comes from
// websearch_to_tsquery, which accepts any user text without syntax errors;
// matching uses the GIN index on the generated messages.search column. The
// room filter is the caller's memberships plus the global room, or the one
// room asked for. The newest SearchCandidates matches are ranked, then
// paged by (rank, id) keyset: rank is a float4 returned to the client
// verbatim in the cursor, so equality on it is exact. A page taken after
// newer matches arrived ranks a slightly later window; the keyset still
// never repeats a hit.
func (s *Store) Search(ctx context.Context, userID string, q domain.SearchQuery) ([]domain.SearchHit, error) {
	rooms := `(SELECT CAST(@global AS uuid) UNION ALL SELECT room_id FROM memberships WHERE user_id = @user)`
	if q.RoomID != "" {
		rooms = `(CAST(@room AS uuid))`
	}
	cursor := ""
	args := map[string]any{"text": q.Text, "user": userID, "global": domain.GlobalRoomID, "room": q.RoomID, "limit": q.Limit}
	if q.After != nil {
		cursor = ` WHERE h.rank < CAST(@rank AS real) OR (h.rank = CAST(@rank AS real) AND h.id < CAST(@id AS uuid))`
		args["rank"], args["id"] = q.After.Rank, q.After.MessageID
	}
	var rows []struct {
		Msg  messageRow `gorm:"embedded"`
		Rank float32
	}
	err := s.db.WithContext(ctx).Raw(`SELECT h.* FROM (
			SELECT `+messageColumns+`, ts_rank(m.search, tq) AS rank
			FROM (
				SELECT m.* FROM messages m, websearch_to_tsquery('simple', @text) tq
				WHERE m.search @@ tq AND m.room_id IN `+rooms+`
					AND m.moderation IS NULL -- hidden by moderation: not searchable
				ORDER BY m.id DESC LIMIT `+strconv.Itoa(SearchCandidates)+`
			) m, websearch_to_tsquery('simple', @text) tq
		) h`+cursor+`
		ORDER BY h.rank DESC, h.id DESC LIMIT @limit`, args).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	hits := make([]domain.SearchHit, len(rows))
	for i, r := range rows {
		hits[i] = domain.SearchHit{Message: r.Msg.toDomain(), Rank: r.Rank}
	}
	return hits, nil
}
