package messagingtest

import (
	"context"
	"testing"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// contractChanges: edits and deletions (ARCHITECTURE.md section 8). Each
// change takes the room's next rev and records one message.updated event;
// a change to what already is (same content, deleted again) takes none.
func contractChanges(t *testing.T, f *fixture) {
	u := f.users(t, 3)
	owner, author, other := u[0], u[1], u[2]
	room := f.room(t, owner, domain.KindPrivate, author, other)
	m := f.send(t, author, room, "helo")
	next := f.send(t, other, room, "later")
	if m.Rev != 1 || next.Rev != 2 {
		t.Fatalf("revs of sends = %d, %d; want 1, 2", m.Rev, next.Rev)
	}
	drain(t, f) // the sends' events

	edited, err := f.app.EditMessage(f.ctx, author, m.ID, "hello")
	if err != nil || edited.Content != "hello" || edited.Rev != 3 || edited.EditedAt.IsZero() || edited.Seq != m.Seq {
		t.Fatalf("edit = %+v, %v; want content hello, rev 3, editedAt set", edited, err)
	}
	again, err := f.app.EditMessage(f.ctx, author, m.ID, "hello")
	if err != nil || again.Rev != 3 {
		t.Fatalf("same edit again = %+v, %v; want rev 3 kept", again, err)
	}
	_, err = f.app.EditMessage(f.ctx, other, m.ID, "hijack")
	wantErr(t, "edit by another member", err, domain.ErrForbidden)
	_, err = f.app.EditMessage(f.ctx, owner, m.ID, "hijack")
	wantErr(t, "edit by the owner", err, domain.ErrForbidden)
	outsider := f.h.AddUser(t)
	_, err = f.app.EditMessage(f.ctx, outsider, m.ID, "hijack")
	wantErr(t, "edit by a non-member", err, domain.ErrMessageNotFound)
	_, err = f.app.DeleteMessage(f.ctx, outsider, m.ID)
	wantErr(t, "delete by a non-member", err, domain.ErrMessageNotFound)
	_, err = f.app.EditMessage(f.ctx, author, "0190a000-0000-7000-8000-000000000000", "x")
	wantErr(t, "edit of an unknown message", err, domain.ErrMessageNotFound)
	_, err = f.app.EditMessage(f.ctx, author, m.ID, "   ")
	wantErr(t, "edit to blank content", err, domain.ErrInvalid)
	_, err = f.app.DeleteMessage(f.ctx, other, m.ID)
	wantErr(t, "delete by another member", err, domain.ErrForbidden)

	// The owner deletes another's message; deleting again changes nothing.
	del, err := f.app.DeleteMessage(f.ctx, owner, m.ID)
	if err != nil || del.Content != "" || del.DeletedAt.IsZero() || del.Rev != 4 || del.Seq != m.Seq {
		t.Fatalf("delete by owner = %+v, %v", del, err)
	}
	if d2, err := f.app.DeleteMessage(f.ctx, author, m.ID); err != nil || d2.Rev != 4 {
		t.Fatalf("delete again = %+v, %v; want no change", d2, err)
	}
	_, err = f.app.EditMessage(f.ctx, author, m.ID, "back")
	wantErr(t, "edit of a deleted message", err, domain.ErrConflict)
	if own, err := f.app.DeleteMessage(f.ctx, other, next.ID); err != nil || own.Rev != 5 {
		t.Fatalf("delete by author = %+v, %v", own, err)
	}

	// History shows the changes in place: same seqs, no gap.
	p, err := f.app.History(f.ctx, author, room, domain.HistoryQuery{Ascending: true})
	if err != nil || len(p.Items) != 2 || p.Items[0].Seq != 1 || p.Items[1].Seq != 2 ||
		p.Items[0].Rev != 4 || p.Items[0].Content != "" || p.Items[0].DeletedAt.IsZero() || p.Items[0].EditedAt.IsZero() {
		t.Fatalf("history after changes = %+v, %v", p, err)
	}
	recs := drain(t, f)
	if len(recs) != 3 {
		t.Fatalf("%d events after the changes, want 3 message.updated", len(recs))
	}
	for _, r := range recs {
		if r.Type != domain.EventMessageUpdated || r.RoomID != room {
			t.Errorf("event %s in %s, want message.updated in %s", r.Type, r.RoomID, room)
		}
	}
}

// drain publishes every pending event and returns them in order.
func drain(t *testing.T, f *fixture) []domain.Record {
	t.Helper()
	var got []domain.Record
	capture := func(_ context.Context, recs []domain.Record) error { got = append(got, recs...); return nil }
	for {
		n, err := f.h.Outbox.Drain(f.ctx, 100, capture)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return got
		}
	}
}
