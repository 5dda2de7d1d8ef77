package messagingtest

import (
	"testing"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// contractReplies: replyTo names a message of the same room that is not
// deleted, alone and in batches; the parent counts its replies; a thread
// lists them in seq order.
func contractReplies(t *testing.T, f *fixture) {
	u := f.users(t, 2)
	room := f.room(t, u[0], domain.KindPrivate, u[1])
	other := f.room(t, u[0], domain.KindPrivate)
	parent := f.send(t, u[0], room, "parent")
	elsewhere := f.send(t, u[0], other, "elsewhere")
	gone := f.send(t, u[0], room, "gone")
	if _, err := f.app.DeleteMessage(f.ctx, u[0], gone.ID); err != nil {
		t.Fatal(err)
	}

	r1, _, err := f.app.SendMessage(f.ctx, u[1], app.SendInput{RoomID: room, Content: "r1", ReplyTo: parent.ID})
	if err != nil || r1.ReplyTo != parent.ID {
		t.Fatalf("reply = %+v, %v", r1, err)
	}
	res := f.app.SendMessages(f.ctx, []app.SendRequest{
		{UserID: u[0], Input: app.SendInput{RoomID: room, Content: "r2", ReplyTo: parent.ID}},
		{UserID: u[0], Input: app.SendInput{RoomID: room, Content: "bad", ReplyTo: elsewhere.ID}},
		{UserID: u[1], Input: app.SendInput{RoomID: room, Content: "plain"}},
		{UserID: u[1], Input: app.SendInput{RoomID: room, Content: "r3", ReplyTo: parent.ID}},
	})
	if res[0].Err != nil || res[2].Err != nil || res[3].Err != nil || res[3].Message.ReplyTo != parent.ID {
		t.Fatalf("batch = %+v", res)
	}
	wantErr(t, "reply to another room's message", res[1].Err, domain.ErrInvalid)
	for name, to := range map[string]string{"deleted": gone.ID, "unknown": "0190a000-0000-7000-8000-000000000000", "malformed": "x"} {
		_, _, err := f.app.SendMessage(f.ctx, u[0], app.SendInput{RoomID: room, Content: "x", ReplyTo: to})
		wantErr(t, "reply to a "+name+" message", err, domain.ErrInvalid)
	}

	p, err := f.app.Thread(f.ctx, u[1], room, parent.ID, domain.HistoryQuery{Limit: 2})
	if err != nil || len(p.Items) != 2 || p.Items[0].ID != r1.ID || p.Next == 0 {
		t.Fatalf("thread page 1 = %+v, %v", p, err)
	}
	p2, err := f.app.Thread(f.ctx, u[1], room, parent.ID, domain.HistoryQuery{After: p.Next, Limit: 2})
	if err != nil || len(p2.Items) != 1 || p2.Items[0].Content != "r3" || p2.Next != 0 {
		t.Fatalf("thread page 2 = %+v, %v", p2, err)
	}
	_, err = f.app.Thread(f.ctx, f.h.AddUser(t), room, parent.ID, domain.HistoryQuery{})
	wantErr(t, "thread of a room one is not in", err, domain.ErrNotFound)
	h, err := f.app.History(f.ctx, u[0], room, domain.HistoryQuery{Ascending: true, Limit: 1})
	if err != nil || len(h.Items) != 1 || h.Items[0].ReplyCount != 3 {
		t.Fatalf("parent = %+v, %v; want replyCount 3", h.Items, err)
	}
}

// contractChangedSince: every message whose rev is above the given one,
// new and changed alike, once each, in rev order, paged.
func contractChangedSince(t *testing.T, f *fixture) {
	u := f.users(t, 1)
	room := f.room(t, u[0], domain.KindPrivate)
	m1 := f.send(t, u[0], room, "one")
	m2 := f.send(t, u[0], room, "two")
	if _, err := f.app.EditMessage(f.ctx, u[0], m1.ID, "one!"); err != nil {
		t.Fatal(err)
	}
	m3 := f.send(t, u[0], room, "three")
	if _, err := f.app.React(f.ctx, u[0], m2.ID, "👍", true); err != nil {
		t.Fatal(err)
	}
	var got []string
	var since int64 = m1.Rev
	for range 10 {
		p, err := f.app.ChangedSince(f.ctx, u[0], room, since, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range p.Items {
			got = append(got, m.Content)
		}
		if p.Next == 0 {
			break
		}
		since = p.Next
	}
	// m2 (rev 2) changed at rev 5: it comes once, at its new rev.
	if want := []string{"one!", m3.Content, "two"}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("changed since rev %d = %q, want %q", m1.Rev, got, want)
	}
	_, err := f.app.ChangedSince(f.ctx, f.h.AddUser(t), room, 0, 10)
	wantErr(t, "changes of a room one is not in", err, domain.ErrNotFound)
}
