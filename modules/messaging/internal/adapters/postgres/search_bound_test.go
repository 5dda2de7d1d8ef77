package postgres_test

import (
	"testing"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/modules/messaging/internal/adapters/postgres"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/testenv"
)

// Search ranks only the newest SearchCandidates matches: older ones are
// not found, however well they would rank. The oldest matches here repeat
// the word and would outrank every newer one if the whole history were
// ranked.
func TestSearchRanksOnlyTheNewestMatches(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	t.Parallel()
	db := open(t, testenv.Postgres(t, migrations.FS))
	user := addUser(t, db)
	const old = 50
	// Message ids grow with seq, as UUIDv7 ids grow with time.
	err := db.Exec(`INSERT INTO messages (id, room_id, seq, rev, user_id, content, created_at)
		SELECT lpad(to_hex(g), 32, '0')::uuid, CAST(@room AS uuid), g, g, CAST(@user AS uuid),
		       CASE WHEN g <= @old THEN 'needle needle needle needle needle' ELSE 'a needle in haystack ' || g END,
		       now()
		FROM generate_series(1, @n) g`,
		map[string]any{"room": domain.GlobalRoomID, "user": user, "old": old, "n": old + postgres.SearchCandidates}).Error
	if err != nil {
		t.Fatal(err)
	}
	hits, err := newStore(db).Search(t.Context(), user, domain.SearchQuery{Text: "needle", Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 20 {
		t.Fatalf("%d hits, want a full page of 20", len(hits))
	}
	for _, h := range hits {
		if h.Message.Seq <= old {
			t.Fatalf("hit seq %d (rank %v) is older than the newest %d matches", h.Message.Seq, h.Rank, postgres.SearchCandidates)
		}
	}
}
