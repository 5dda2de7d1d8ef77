package messagingtest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// Harness is a store under test: its ports, its outbox and a way to create
// users (rows the real store's foreign keys need).
type Harness struct {
	Ports   app.Ports
	Outbox  app.Outbox
	AddUser func(t testing.TB) string
}

// RunContract runs the store contract through the use cases. newHarness
// must return an empty store (only the global room) on every call.
func RunContract(t *testing.T, newHarness func(t *testing.T) Harness) {
	cases := []struct {
		name string
		run  func(*testing.T, *fixture)
	}{
		{"Messages", contractMessages},
		{"Validation", contractValidation},
		{"PublicRooms", contractPublicRooms},
		{"PrivateRooms", contractPrivateRooms},
		{"DirectRooms", contractDirectRooms},
		{"GlobalRoom", contractGlobalRoom},
		{"Receipts", contractReceipts},
		{"ListRooms", contractListRooms},
		{"Search", contractSearch},
		{"Events", contractEvents},
		{"Batch", contractBatch},
		{"Changes", contractChanges},
		{"Reactions", contractReactions},
		{"Replies", contractReplies},
		{"ChangedSince", contractChangedSince},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			c.run(t, &fixture{h: h, app: app.New(h.Ports, app.Options{MaxContentLength: 50}), ctx: t.Context()})
		})
	}
}

type fixture struct {
	h   Harness
	app *app.App
	ctx context.Context
}

func (f *fixture) users(t *testing.T, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = f.h.AddUser(t)
	}
	return ids
}

func (f *fixture) send(t *testing.T, user, room, content string) domain.Message {
	t.Helper()
	m, created, err := f.app.SendMessage(f.ctx, user, app.SendInput{RoomID: room, Content: content})
	if err != nil || !created {
		t.Fatalf("send %q to %q: created=%v err=%v", content, room, created, err)
	}
	return m
}

func (f *fixture) room(t *testing.T, owner string, kind domain.Kind, members ...string) string {
	t.Helper()
	v, _, err := f.app.CreateRoom(f.ctx, owner, "room "+string(kind), kind, members)
	if err != nil {
		t.Fatalf("create %s room: %v", kind, err)
	}
	return v.Room.ID
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: err = %v, want %v", what, err, want)
	}
}

func seqs(msgs []domain.Message) []int64 {
	out := make([]int64, len(msgs))
	for i, m := range msgs {
		out[i] = m.Seq
	}
	return out
}

func wantSeqs(t *testing.T, what string, got []domain.Message, want ...int64) {
	t.Helper()
	g := seqs(got)
	if len(g) != len(want) {
		t.Errorf("%s: seqs %v, want %v", what, g, want)
		return
	}
	for i := range g {
		if g[i] != want[i] {
			t.Errorf("%s: seqs %v, want %v", what, g, want)
			return
		}
	}
}

func contractMessages(t *testing.T, f *fixture) {
	u := f.users(t, 2)
	for i := range 5 {
		m := f.send(t, u[i%2], "", "hello "+strings.Repeat("x", i))
		if m.Seq != int64(i+1) || m.RoomID != domain.GlobalRoomID || m.CreatedAt.IsZero() || m.ID == "" {
			t.Fatalf("message %d = %+v", i, m)
		}
	}
	// Newest first, backwards by cursor.
	p, err := f.app.History(f.ctx, u[0], "", domain.HistoryQuery{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	wantSeqs(t, "newest page", p.Items, 5, 4)
	if p.Next != 4 {
		t.Errorf("next = %d, want 4", p.Next)
	}
	p, _ = f.app.History(f.ctx, u[0], domain.GlobalRoomID, domain.HistoryQuery{Before: 2, Limit: 2})
	wantSeqs(t, "before 2", p.Items, 1)
	if p.Next != 0 {
		t.Errorf("last page next = %d, want 0", p.Next)
	}
	// Oldest first, forwards.
	p, _ = f.app.History(f.ctx, u[1], "", domain.HistoryQuery{Ascending: true, Limit: 3})
	wantSeqs(t, "ascending from start", p.Items, 1, 2, 3)
	p, _ = f.app.History(f.ctx, u[1], "", domain.HistoryQuery{After: 3, Limit: 3})
	wantSeqs(t, "after 3", p.Items, 4, 5)
	p, _ = f.app.History(f.ctx, u[1], "", domain.HistoryQuery{After: 1, Before: 4})
	wantSeqs(t, "between 1 and 4", p.Items, 2, 3)

	// Content is stored exactly as sent.
	raw := "  <script>alert('x')</script>\n\t€ "
	m := f.send(t, u[0], "", raw)
	p, _ = f.app.History(f.ctx, u[0], "", domain.HistoryQuery{Limit: 1})
	if len(p.Items) != 1 || p.Items[0].Content != raw || p.Items[0].ID != m.ID || !p.Items[0].CreatedAt.Equal(m.CreatedAt) {
		t.Errorf("stored %+v, sent %+v", p.Items, m)
	}

	// Idempotent resend: same message back, nothing stored, no gap after.
	in := app.SendInput{Content: "once", ClientMsgID: "c-1"}
	first, created, err := f.app.SendMessage(f.ctx, u[0], in)
	if err != nil || !created {
		t.Fatalf("first send: %v %v", created, err)
	}
	again, created, err := f.app.SendMessage(f.ctx, u[0], app.SendInput{Content: "twice?", ClientMsgID: "c-1"})
	if err != nil || created || again.ID != first.ID || again.Seq != first.Seq || again.Content != "once" {
		t.Errorf("resend = %+v created=%v err=%v, want first %+v", again, created, err, first)
	}
	// The same client id from another sender is another message.
	other, created, err := f.app.SendMessage(f.ctx, u[1], in)
	if err != nil || !created || other.Seq != first.Seq+1 {
		t.Errorf("other sender = %+v created=%v err=%v", other, created, err)
	}
}

func contractValidation(t *testing.T, f *fixture) {
	u := f.users(t, 1)[0]
	bad := map[string]app.SendInput{
		"empty":        {Content: ""},
		"white space":  {Content: " \n\t "},
		"invalid utf8": {Content: "a\xffb"},
		"too long":     {Content: strings.Repeat("é", 51)},
		"nul":          {Content: "a\x00b"},
		"client id":    {Content: "x", ClientMsgID: "has space"},
		"room id":      {Content: "x", RoomID: "nope"},
	}
	for name, in := range bad {
		_, _, err := f.app.SendMessage(f.ctx, u, in)
		wantErr(t, name, err, domain.ErrInvalid)
	}
	if _, _, err := f.app.SendMessage(f.ctx, u, app.SendInput{Content: strings.Repeat("é", 50)}); err != nil {
		t.Errorf("50 characters: %v", err)
	}
	_, _, err := f.app.SendMessage(f.ctx, u, app.SendInput{Content: "x", RoomID: "0190a000-0000-7000-8000-000000000000"})
	wantErr(t, "unknown room", err, domain.ErrNotFound)
	for name, q := range map[string]domain.HistoryQuery{
		"limit 0..100": {Limit: 101}, "negative limit": {Limit: -1}, "before": {Before: -1},
		"range": {After: 5, Before: 5},
	} {
		_, err := f.app.History(f.ctx, u, "", q)
		wantErr(t, name, err, domain.ErrInvalid)
	}
	_, err = f.app.MarkRead(f.ctx, u, domain.GlobalRoomID, -1)
	wantErr(t, "negative read seq", err, domain.ErrInvalid)
	_, _, err = f.app.CreateRoom(f.ctx, u, " ", domain.KindPublic, nil)
	wantErr(t, "blank room name", err, domain.ErrInvalid)
	_, _, err = f.app.CreateRoom(f.ctx, u, "x", domain.KindDirect, nil)
	wantErr(t, "room kind", err, domain.ErrInvalid)
	_, _, err = f.app.Search(f.ctx, u, domain.SearchQuery{Text: "  "})
	wantErr(t, "blank search", err, domain.ErrInvalid)
}
