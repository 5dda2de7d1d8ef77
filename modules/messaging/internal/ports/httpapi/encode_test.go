package httpapi

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// marshalPage is the reference: what c.JSON wrote before the hand-written
// encoder.
func marshalPage(t testing.TB, items []domain.Message, next int64) []byte {
	n := ""
	if next != 0 {
		n = strconv.FormatInt(next, 10)
	}
	b, err := json.Marshal(newPage(items, n, toMessage))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var awkward = []string{
	"", "plain", "0190a000-0000-7000-8000-000000000001", "twelve bytes", "sixteen bytes ok", "eight by<",
	"seeded message 99 of room 0: the quick brown fox jumps over the lazy dog (edited: a typo fixed)", `quote " backslash \ slash /`, "<script>alert('x')</script> & co",
	"\x00\x01\x1f\x7f", "\b\f\n\r\t", "é€😀", "line\u2028para\u2029", "bad \xff utf8 \xe2\x82", "\xed\xa0\x80 surrogate",
}

func TestAppendMessagePageMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 11, 26, 23, 0, 0, 123456789, time.FixedZone("x", 3600))
	var items []domain.Message
	for i, s := range awkward {
		items = append(items, domain.Message{ID: "0190a000-0000-7000-8000-00000000000" + strconv.Itoa(i%10),
			RoomID: domain.GlobalRoomID, Seq: int64(i + 1), UserID: s, Content: s, ClientMsgID: s, CreatedAt: at})
	}
	for _, at := range []time.Time{{}, time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(10000, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(999, 2, 3, 4, 5, 6, 7_000_000, time.UTC), at, time.Unix(0, 0).Local()} {
		items = append(items, domain.Message{ID: "x", RoomID: "y", UserID: "z", Content: "c", CreatedAt: at})
	}
	// The optional fields of section 8, each alone and all together.
	changed := domain.Message{ID: "c", RoomID: "r", Seq: 3, UserID: "u", CreatedAt: at, Rev: 1 << 40}
	for i, s := range awkward {
		m := changed
		m.Rev += int64(i)
		switch i % 6 {
		case 5:
			m.Attachments = []domain.Attachment{{ID: s, RoomID: "r", Name: s, ContentType: "image/png", Size: int64(i) << 30,
				URL: "/files/" + s + "?sig=a&exp=1", ThumbnailURL: s}, {ID: "b", Name: "", URL: "u"}}
		case 0:
			m.ReplyTo = s
		case 1:
			m.EditedAt = at.Add(time.Duration(i) * time.Hour)
		case 2:
			m.DeletedAt = at
		case 3:
			m.Reactions = []domain.ReactionCount{{Emoji: s, Count: i}, {Emoji: ":+1:", Count: 1 << 20}}
		case 4:
			m.ReplyCount = i
		}
		items = append(items, m)
	}
	items = append(items, domain.Message{ID: "all", RoomID: "r", Seq: 9, UserID: "u", Content: "x", CreatedAt: at, Rev: 12,
		ReplyTo: "p", EditedAt: at, DeletedAt: at, Reactions: []domain.ReactionCount{{Emoji: "😀", Count: 2}}, ReplyCount: 5,
		Attachments: []domain.Attachment{{ID: "a", RoomID: "r", Name: "<x>.pdf", ContentType: "application/pdf", Size: 3, URL: "/u?a=1&b=2"}}})
	for _, tc := range []struct {
		items []domain.Message
		next  int64
	}{{nil, 0}, {items[:1], 0}, {items, 7}, {items, 1 << 62}} {
		got, want := appendMessagePage(nil, tc.items, tc.next), marshalPage(t, tc.items, tc.next)
		if !bytes.Equal(got, want) {
			t.Errorf("appendMessagePage:\n got %s\nwant %s", got, want)
		}
	}
}

// safeWord agrees with jsonSafe on every byte value at every place, among
// safe bytes and among the two neighbours that most upset the bit tricks
// (borrows from 0x00 and 0x80).
func TestSafeWordAgreesWithTable(t *testing.T) {
	for _, fill := range []byte{'a', 0x20, 0x7f, 0x00, 0x80, 0xff} {
		for pos := range 8 {
			for c := range 256 {
				w := bytes.Repeat([]byte{fill}, 8)
				w[pos] = byte(c)
				want := true
				for _, b := range w {
					want = want && jsonSafe[b]
				}
				if got := safeWord(load64(string(w))); got != want {
					t.Fatalf("safeWord(% x) = %v, want %v", w, got, want)
				}
			}
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range awkward {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
		n := safePrefix(s)
		for i := range n {
			if !jsonSafe[s[i]] {
				t.Fatalf("safePrefix(%q) = %d, past unsafe byte %d", s, n, i)
			}
		}
	})
}

func BenchmarkMessagePage(b *testing.B) {
	items := make([]domain.Message, 50)
	for i := range items {
		items[i] = domain.Message{ID: "0190a000-0000-7000-8000-000000000001", RoomID: domain.GlobalRoomID, Seq: int64(i + 1),
			UserID: "0190a000-0000-7000-8000-000000000002", Content: "hello there, a message of ordinary length " + strconv.Itoa(i),
			CreatedAt: time.Now()}
	}
	b.Run("append", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = appendMessagePage(buf[:0], items, 50)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			marshalPage(b, items, 50)
		}
	})
}
