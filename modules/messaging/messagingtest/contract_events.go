package messagingtest

import (
	"context"
	"errors"
	"testing"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

func contractSearch(t *testing.T, f *fixture) {
	u := f.users(t, 2)
	a, b := u[0], u[1]
	private := f.room(t, a, domain.KindPrivate)
	secret := f.send(t, a, private, "secret banana plans")
	public := f.send(t, b, "", "banana split tonight")
	f.send(t, b, "", "nothing to see")

	hits, _, err := f.app.Search(f.ctx, b, domain.SearchQuery{Text: "banana"})
	if err != nil || len(hits) != 1 || hits[0].Message.ID != public.ID {
		t.Errorf("b's search = %+v, %v; want only the global message", hits, err)
	}
	// Paging: one hit per page, both found once.
	seen := map[string]bool{}
	q := domain.SearchQuery{Text: "BANANA", Limit: 1}
	for i := 0; ; i++ {
		page, next, err := f.app.Search(f.ctx, a, q)
		if err != nil || i > 2 || len(page) != 1 {
			t.Fatalf("a's search page %d = %+v, %v", i, page, err)
		}
		if seen[page[0].Message.ID] {
			t.Errorf("hit %s twice", page[0].Message.ID)
		}
		seen[page[0].Message.ID] = true
		if next == nil {
			break
		}
		q.After = next
	}
	if !seen[secret.ID] || !seen[public.ID] {
		t.Errorf("a's search found %v", seen)
	}
	hits, _, err = f.app.Search(f.ctx, a, domain.SearchQuery{Text: "banana", RoomID: private})
	if err != nil || len(hits) != 1 || hits[0].Message.ID != secret.ID {
		t.Errorf("room search = %+v, %v", hits, err)
	}
	_, _, err = f.app.Search(f.ctx, b, domain.SearchQuery{Text: "banana", RoomID: private})
	wantErr(t, "search a private room of others", err, domain.ErrNotFound)
}

func contractEvents(t *testing.T, f *fixture) {
	u := f.users(t, 2)
	a, b := u[0], u[1]
	room := f.room(t, a, domain.KindPublic)               // a joined
	f.send(t, a, room, "one")                             // message 1
	if _, err := f.app.Join(f.ctx, b, room); err != nil { // b joined
		t.Fatal(err)
	}
	f.send(t, b, room, "two")                                    // message 2
	if _, err := f.app.MarkRead(f.ctx, a, room, 2); err != nil { // receipt
		t.Fatal(err)
	}
	if _, err := f.app.MarkRead(f.ctx, a, room, 2); err != nil { // no move: no event
		t.Fatal(err)
	}
	if _, err := f.app.Join(f.ctx, b, room); err != nil { // no-op: no event
		t.Fatal(err)
	}

	// A failing publish leaves everything pending.
	boom := errors.New("redis down")
	if _, err := f.h.Outbox.Drain(f.ctx, 100, func(context.Context, []domain.Record) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("drain with failing publish: %v", err)
	}
	var got []domain.Record
	capture := func(_ context.Context, recs []domain.Record) error { got = append(got, recs...); return nil }
	for {
		n, err := f.h.Outbox.Drain(f.ctx, 2, capture)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	want := []domain.EventType{domain.EventMembershipChanged, domain.EventMessageCreated,
		domain.EventMembershipChanged, domain.EventMessageCreated, domain.EventReceiptUpdated}
	if len(got) != len(want) {
		t.Fatalf("events = %+v, want types %v", got, want)
	}
	ids := map[string]bool{}
	for i, r := range got {
		if r.Type != want[i] || r.RoomID != room || ids[r.EventID] || len(r.Data) == 0 {
			t.Errorf("event %d = %+v, want a unique %s of room %s", i, r, want[i], room)
		}
		ids[r.EventID] = true
		if i > 0 && r.OutboxID <= got[i-1].OutboxID {
			t.Errorf("outbox ids out of order: %d after %d", r.OutboxID, got[i-1].OutboxID)
		}
	}
	if n, err := f.h.Outbox.Drain(f.ctx, 10, capture); n != 0 || err != nil {
		t.Errorf("drain after all published = %d, %v", n, err)
	}
}
