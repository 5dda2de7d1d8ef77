package e2e

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestChatReadsAndSearch covers read receipts, unread counts and search
// limited to the caller's rooms. One api, parallel subtests.
func TestChatReadsAndSearch(t *testing.T) {
	s := harness.NewStack(t, harness.Options{})
	t.Run("Receipts", func(t *testing.T) { t.Parallel(); testChatReceipts(t, s) })
	t.Run("Search", func(t *testing.T) { t.Parallel(); testChatSearch(t, s) })
}

func testChatReceipts(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a, b := newChat(t, s, c), newChat(t, s, c)
	room := a.createRoom("private", b.a.ID).ID
	var last chatMessage
	for range 3 {
		last = a.send(room, "news")
	}
	unread := func(u chat) int64 {
		t.Helper()
		for _, r := range u.rooms() {
			if r.ID == room {
				if r.LastMessage == nil || r.LastMessage.ID != last.ID {
					t.Errorf("last message %+v, want %s", r.LastMessage, last.ID)
				}
				return *r.UnreadCount
			}
		}
		t.Fatalf("room %s not in the list", room)
		return 0
	}
	if unread(a) != 0 || unread(b) != 3 {
		t.Fatalf("unread a=%d b=%d, want 0 (own messages) and 3", unread(a), unread(b))
	}
	for _, step := range []struct{ mark, want int64 }{{2, 2}, {1, 2}, {99, 3}} {
		var r struct {
			RoomID string `json:"roomId"`
			Seq    int64  `json:"seq"`
		}
		b.want(http.StatusOK, &r, http.MethodPost, "/api/chat/rooms/"+room+"/read", map[string]any{"seq": step.mark})
		if r.Seq != step.want || r.RoomID != room {
			t.Errorf("mark %d: %+v, want seq %d (forward only, capped at the newest)", step.mark, r, step.want)
		}
		if step.mark == 2 && unread(b) != 1 {
			t.Errorf("unread after reading 2 of 3 = %d", unread(b))
		}
	}
	if unread(b) != 0 {
		t.Errorf("unread after reading all = %d", unread(b))
	}
	last = b.send(room, "reply")
	if unread(a) != 1 || unread(b) != 0 {
		t.Errorf("after b replies: a=%d b=%d, want 1 and 0", unread(a), unread(b))
	}
}

func testChatSearch(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a, b := newChat(t, s, c), newChat(t, s, c)
	word := "zebra" + a.a.ID[:8] // unique to this test in the shared global room
	private := a.createRoom("private").ID
	secret := a.send(private, "the "+word+" plans are secret")
	public := b.send(globalRoomID, word+" crossing tonight")
	b.send(globalRoomID, "nothing to see here")

	search := func(u chat, q string) chatPage[chatMessage] {
		t.Helper()
		var p chatPage[chatMessage]
		u.want(http.StatusOK, &p, http.MethodGet, "/api/chat/search?"+q, nil)
		return p
	}
	if p := search(b, qs("q", word).Encode()); len(p.Items) != 1 || p.Items[0].ID != public.ID {
		t.Errorf("b finds %+v, want only the global message", p.Items)
	}
	seen := map[string]bool{}
	v := qs("q", word, "limit", "1")
	for range 4 {
		p := search(a, v.Encode())
		for _, m := range p.Items {
			if seen[m.ID] {
				t.Errorf("hit %s on two pages", m.ID)
			}
			seen[m.ID] = true
		}
		if p.NextCursor == nil {
			break
		}
		v.Set("cursor", *p.NextCursor)
	}
	if len(seen) != 2 || !seen[secret.ID] || !seen[public.ID] {
		t.Errorf("a finds %v, want both messages", seen)
	}
	if p := search(a, qs("q", word, "roomId", private).Encode()); len(p.Items) != 1 || p.Items[0].ID != secret.ID || p.Items[0].Rank <= 0 {
		t.Errorf("a's room search = %+v", p.Items)
	}
	wantProblem(t, b.do(http.MethodGet, "/api/chat/search?"+qs("q", word, "roomId", private).Encode(), nil), http.StatusNotFound, "b searches a's private room")
}

// jsonUnmarshalString decodes a stream field (a string) as JSON.
func jsonUnmarshalString(v any, dst any) error {
	s, ok := v.(string)
	if !ok {
		return errors.New("not a string")
	}
	return json.Unmarshal([]byte(s), dst)
}
