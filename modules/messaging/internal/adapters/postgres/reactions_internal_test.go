package postgres

import (
	"encoding/json"
	"log/slog"
	"reflect"
	"testing"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/database"
	"github.com/chatforge/chat/platform/testenv"
)

// reactionSamples are messages.reactions values: PostgreSQL's rendering of
// what the package writes, and others that must take encoding/json's path.
var reactionSamples = []string{
	`[]`,
	`[{"count": 2, "emoji": "👍"}, {"count": 1, "emoji": "🎉"}]`,
	`[{"count": 1, "emoji": ":party_parrot:"}]`,
	`[{"count": 0, "emoji": "x"}]`,
	`[{"count": -3, "emoji": "x"}]`,
	`[{"count": 123456789012345678, "emoji": "x"}]`,
	`[{"count": 1234567890123456789, "emoji": "x"}]`,
	`[{"count": 99999999999999999999, "emoji": "x"}]`,
	`[{"count": 01, "emoji": "x"}]`,
	`[{"count": 1.5, "emoji": "x"}]`,
	`[{"count": 1e2, "emoji": "x"}]`,
	`[{"count": 2, "emoji": "a\"b"}]`,
	`[{"count": 2, "emoji": "\u263a"}]`,
	"[{\"count\": 2, \"emoji\": \"a\x01b\"}]",
	"[{\"count\": 2, \"emoji\": \"\xff\"}]",
	`[{"emoji": "👍", "count": 2}]`,
	`[{"count":2,"emoji":"👍"}]`,
	`[{"count": 2, "emoji": "👍", "extra": 1}]`,
	`[{"count": 2, "emoji": "👍"}`,
	`[{"count": 2, "emoji": "👍"}] `,
	`[{"count": 2, "emoji": "👍"},]`,
	`[{"count": , "emoji": "👍"}]`,
	`[{"count": -, "emoji": "👍"}]`,
	`{"count": 2, "emoji": "👍"}`,
	`null`,
	`[`,
	`]`,
}

// decodeReactionsJSON is decodeReactions without scanReactions: the
// behaviour the fast path must keep.
func decodeReactionsJSON(b []byte) []domain.ReactionCount {
	if len(b) > 0 && b[0] == 1 {
		b = b[1:]
	}
	var rs []reactionJSON
	if json.Unmarshal(b, &rs) != nil || len(rs) == 0 {
		return nil
	}
	out := make([]domain.ReactionCount, len(rs))
	for i, r := range rs {
		out[i] = domain.ReactionCount(r)
	}
	return out
}

func TestScanReactionsAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range reactionSamples {
		if got, want := decodeReactions([]byte(s)), decodeReactionsJSON([]byte(s)); !reflect.DeepEqual(got, want) {
			t.Errorf("decodeReactions(%q) = %#v, want %#v", s, got, want)
		}
	}
	// The form PostgreSQL renders takes the fast path.
	if _, ok := scanReactions([]byte(reactionSamples[1]), nil); !ok {
		t.Errorf("scanReactions refused %s", reactionSamples[1])
	}
}

// The form PostgreSQL renders is what scanReactions reads: checked on the
// server, so a change of jsonb's output (or of how the package writes the
// column) shows here rather than as a slower history.
func TestScanReactionsReadsPostgresRendering(t *testing.T) {
	// No pool: one statement, on the smallest database there is.
	db, err := database.Open(t.Context(), config.Postgres{URL: testenv.Postgres(t, nil), MaxOpenConns: 1, MaxIdleConns: 1},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	want := []domain.ReactionCount{{Emoji: "👍", Count: 2}, {Emoji: ":a_b:", Count: 1}, {Emoji: "🇫🇷", Count: 12}}
	written, err := encodeReactions(want)
	if err != nil {
		t.Fatal(err)
	}
	var text string
	if err := db.Raw(`SELECT ?::jsonb::text`, *written).Row().Scan(&text); err != nil {
		t.Fatal(err)
	}
	if rs, ok := scanReactions([]byte(text), nil); !ok || !reflect.DeepEqual(rs, want) {
		t.Errorf("scanReactions(%s) = %v, %v; want %v", text, rs, ok, want)
	}
}

func FuzzScanReactions(f *testing.F) {
	for _, s := range reactionSamples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want := decodeReactionsJSON(b)
		if got := decodeReactions(b); !reflect.DeepEqual(got, want) {
			t.Errorf("decodeReactions(%q) = %#v, want %#v", b, got, want)
		}
		emoji := map[string]string{"👍": "👍"}
		for range 2 { // the emoji met the first time are shared the second
			if got := decodeReactionsIn(b, emoji); !reflect.DeepEqual(got, want) {
				t.Errorf("decodeReactionsIn(%q) = %#v, want %#v", b, got, want)
			}
		}
	})
}
