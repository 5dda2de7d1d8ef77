package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestChatMessages covers sending, idempotent resends, paging through a
// long history both ways and every bad input. One api, parallel subtests.
func TestChatMessages(t *testing.T) {
	s := harness.NewStack(t, harness.Options{})
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, *harness.Stack)
	}{
		{"Paging1000", testChatPaging},
		{"IdempotentResend", testChatIdempotentResend},
		{"ContentAsSent", testChatContentAsSent},
		{"BadInput", testChatBadInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, s)
		})
	}
}

// testChatPaging stores 1,000 messages, then pages through them backwards
// and forwards: every seq once, in order, no gap.
func testChatPaging(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a := newChat(t, s, c)
	room := a.createRoom("private").ID
	const n = 1000
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < n; i += 4 {
				if res := a.do(http.MethodPost, "/api/chat/messages", map[string]any{"roomId": room, "content": fmt.Sprint("message ", i)}); res.Status != http.StatusCreated {
					t.Errorf("send %d: %s", i, res)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	walk := func(q map[string]string, cursorParam string) []int64 {
		var seqs []int64
		v := qs("limit", "100")
		for k, x := range q {
			v.Set(k, x)
		}
		for range n/100 + 2 {
			p := a.history(room, v)
			for _, m := range p.Items {
				seqs = append(seqs, m.Seq)
			}
			if p.NextCursor == nil {
				return seqs
			}
			v.Set(cursorParam, *p.NextCursor)
		}
		t.Fatalf("paging does not end after %d items", len(seqs))
		return nil
	}
	down := walk(nil, "before")
	up := walk(map[string]string{"after": "0"}, "after")
	if len(down) != n || len(up) != n {
		t.Fatalf("paged %d messages down and %d up, want %d each", len(down), len(up), n)
	}
	for i := range n {
		if down[i] != int64(n-i) || up[i] != int64(i+1) {
			t.Fatalf("at %d: down seq %d, up seq %d; want %d and %d", i, down[i], up[i], n-i, i+1)
		}
	}
	// A bounded window: after and before together.
	if p := a.history(room, qs("after", "10", "before", "14")); len(p.Items) != 3 || p.Items[0].Seq != 11 || p.NextCursor != nil {
		t.Errorf("window (10, 14) = %+v", p)
	}
}

func testChatIdempotentResend(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a := newChat(t, s, c)
	room := a.createRoom("private").ID
	body := map[string]any{"roomId": room, "content": "only once", "clientMsgId": "k-42"}
	var first, again, next chatMessage
	a.want(http.StatusCreated, &first, http.MethodPost, "/api/chat/messages", body)
	body["content"] = "changed my mind"
	a.want(http.StatusOK, &again, http.MethodPost, "/api/chat/messages", body)
	if again != first || first.ClientMsgID != "k-42" {
		t.Errorf("resend = %+v, want the first message %+v", again, first)
	}
	a.want(http.StatusCreated, &next, http.MethodPost, "/api/chat/messages", map[string]any{"roomId": room, "content": "next"})
	if next.Seq != first.Seq+1 {
		t.Errorf("next seq %d after %d: a resend must not use a seq", next.Seq, first.Seq)
	}
	if p := a.history(room, qs()); len(p.Items) != 2 {
		t.Errorf("history holds %d messages, want 2", len(p.Items))
	}
}

func testChatContentAsSent(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a := newChat(t, s, c)
	room := a.createRoom("private").ID
	for _, content := range []string{
		`<img src=x onerror="alert(1)">`, "  leading and trailing  \n", "emoji 🎉 and 日本語", strings.Repeat("é", 4000),
	} {
		m := a.send(room, content)
		p := a.history(room, qs("limit", "1"))
		if m.Content != content || len(p.Items) != 1 || p.Items[0].Content != content {
			t.Errorf("content %.40q came back as %.40q / %+v", content, m.Content, p.Items)
		}
	}
}

func testChatBadInput(t *testing.T, s *harness.Stack) {
	c := s.Client(t)
	a := newChat(t, s, c)
	room := a.createRoom("private").ID
	post := func(body any) *harness.Response { return a.do(http.MethodPost, "/api/chat/messages", body) }
	for _, tc := range []struct {
		name   string
		res    *harness.Response
		status int
		fields []string
	}{
		{"empty content", post(map[string]any{"content": ""}), 422, []string{"content"}},
		{"blank content", post(map[string]any{"content": " \n\t "}), 422, []string{"content"}},
		{"too long", post(map[string]any{"content": strings.Repeat("x", 4001)}), 422, []string{"content"}},
		{"NUL", post(map[string]any{"content": "a\u0000b"}), 422, []string{"content"}},
		{"bad roomId", post(map[string]any{"content": "x", "roomId": "room-1"}), 422, []string{"roomId"}},
		{"bad clientMsgId", post(map[string]any{"content": "x", "clientMsgId": strings.Repeat("k", 65)}), 422, []string{"clientMsgId"}},
		{"unknown field", post(`{"content": "x", "room": "global"}`), 400, []string{"room"}},
		{"wrong type", post(`{"content": 42}`), 400, []string{"content"}},
		{"malformed JSON", post(`{"content": `), 400, nil},
		{"not JSON", a.c.Do(http.MethodPost, "/api/chat/messages", "content=x", a.a.AccessToken, http.Header{"Content-Type": {"text/plain"}}), 415, nil},
		{"no token", a.c.Do(http.MethodPost, "/api/chat/messages", map[string]any{"content": "x"}, ""), 401, nil},
		{"unknown room", post(map[string]any{"content": "x", "roomId": "0190a000-0000-7000-8000-000000000000"}), 404, nil},
		{"history: bad roomId", a.do(http.MethodGet, "/api/chat/messages?roomId=nope", nil), 400, []string{"roomId"}},
		{"history: bad before", a.do(http.MethodGet, "/api/chat/messages?before=ten", nil), 400, []string{"before"}},
		{"history: before 0", a.do(http.MethodGet, "/api/chat/messages?before=0", nil), 422, []string{"before"}},
		{"history: limit 0", a.do(http.MethodGet, "/api/chat/messages?limit=0", nil), 422, []string{"limit"}},
		{"history: limit 101", a.do(http.MethodGet, "/api/chat/messages?limit=101", nil), 422, []string{"limit"}},
		{"history: empty window", a.do(http.MethodGet, "/api/chat/messages?after=5&before=5", nil), 422, []string{"before"}},
		{"rooms: bad id", a.do(http.MethodGet, "/api/chat/rooms/42", nil), 400, []string{"id"}},
		{"rooms: bad cursor", a.do(http.MethodGet, "/api/chat/rooms?cursor=x", nil), 400, []string{"cursor"}},
		{"rooms: bad kind", a.do(http.MethodPost, "/api/chat/rooms", map[string]any{"name": "x", "kind": "secret"}), 422, []string{"kind"}},
		{"rooms: blank name", a.do(http.MethodPost, "/api/chat/rooms", map[string]any{"name": "   ", "kind": "public"}), 422, []string{"name"}},
		{"rooms: bad member", a.do(http.MethodPost, "/api/chat/rooms", map[string]any{"name": "x", "kind": "public", "memberIds": []string{"x"}}), 422, []string{"memberIds[0]"}},
		{"read: negative", a.do(http.MethodPost, "/api/chat/rooms/"+room+"/read", map[string]any{"seq": -1}), 422, []string{"seq"}},
		{"read: missing seq", a.do(http.MethodPost, "/api/chat/rooms/"+room+"/read", map[string]any{}), 422, []string{"seq"}},
		{"search: no q", a.do(http.MethodGet, "/api/chat/search", nil), 422, []string{"q"}},
		{"search: bad cursor", a.do(http.MethodGet, "/api/chat/search?q=x&cursor=!!", nil), 400, []string{"cursor"}},
		{"direct: no user", a.do(http.MethodPost, "/api/chat/direct", map[string]any{}), 422, []string{"userId"}},
	} {
		wantProblem(t, tc.res, tc.status, tc.name, tc.fields...)
	}
}
