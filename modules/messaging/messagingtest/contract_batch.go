package messagingtest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// contractBatch: SendMessages gives every request the outcome SendMessage
// would have given it in order, and stores the accepted ones gap-free.
func contractBatch(t *testing.T, f *fixture) {
	u := f.users(t, 3)
	a, b, c := u[0], u[1], u[2]
	private := f.room(t, a, domain.KindPrivate, b) // a (owner), b
	public := f.room(t, a, domain.KindPublic)      // a only
	old, created, err := f.app.SendMessage(f.ctx, a, app.SendInput{Content: "stored", ClientMsgID: "c-old"})
	if err != nil || !created {
		t.Fatalf("first send: %v %v", created, err)
	}
	if got := f.app.SendMessages(f.ctx, nil); len(got) != 0 {
		t.Errorf("empty batch = %+v", got)
	}

	req := func(user, room, content, cid string) app.SendRequest {
		return app.SendRequest{UserID: user, Input: app.SendInput{RoomID: room, Content: content, ClientMsgID: cid}}
	}
	reqs := []app.SendRequest{
		0:  req(a, private, "p1", "c-1"),
		1:  req(b, private, "p2", ""),
		2:  req(a, "", "g1", ""),
		3:  req(b, public, "not joined", ""),
		4:  req(c, private, "not a member", ""),
		5:  req(a, private, "repeat of 0", "c-1"),
		6:  req(a, "", "repeat of stored", "c-old"),
		7:  req(a, private, " ", ""),
		8:  req(b, private, "p3", ""),
		9:  req(a, public, "q1", ""),
		10: req(c, "", "g2", "c-1"), // another sender's c-1: another message
		11: req(a, "nope", "x", ""),
	}
	got := f.app.SendMessages(f.ctx, reqs)
	if len(got) != len(reqs) {
		t.Fatalf("%d results for %d requests", len(got), len(reqs))
	}
	for i, want := range map[int]error{3: domain.ErrForbidden, 4: domain.ErrNotFound, 7: domain.ErrInvalid, 11: domain.ErrInvalid} {
		wantErr(t, "request "+string(rune('0'+i)), got[i].Err, want)
	}
	stored := map[int]int64{0: 1, 1: 2, 8: 3, 2: 2, 10: 3, 9: 1} // request -> seq in its room
	for i, seq := range stored {
		r := got[i]
		if r.Err != nil || !r.Created || r.Message.Seq != seq || r.Message.Content != reqs[i].Input.Content ||
			r.Message.UserID != reqs[i].UserID || r.Message.ID == "" || r.Message.CreatedAt.IsZero() {
			t.Errorf("request %d = %+v, want created with seq %d", i, r, seq)
		}
	}
	if r := got[5]; r.Err != nil || r.Created || r.Message.ID != got[0].Message.ID || r.Message.Content != "p1" {
		t.Errorf("in-batch repeat = %+v, want message %s", r, got[0].Message.ID)
	}
	if r := got[6]; r.Err != nil || r.Created || r.Message.ID != old.ID || r.Message.Seq != 1 {
		t.Errorf("repeat of a stored message = %+v, want %+v", r, old)
	}

	// Gap-free per room, in request order; nothing of the failed ones.
	for room, want := range map[string][]int64{private: {1, 2, 3}, "": {1, 2, 3}, public: {1}} {
		p, err := f.app.History(f.ctx, a, room, domain.HistoryQuery{Ascending: true})
		if err != nil {
			t.Fatal(err)
		}
		wantSeqs(t, "room "+room, p.Items, want...)
	}
	// Read pointers moved to each sender's last message of the batch.
	for user, want := range map[string]int64{a: 1, b: 3} {
		v, _, err := f.app.GetRoom(f.ctx, user, private)
		if err != nil || v.LastRead != want {
			t.Errorf("read pointer = %d, %v; want %d", v.LastRead, err, want)
		}
	}
	wantMessageEvents(t, f, map[string][]int64{private: {1, 2, 3}, domain.GlobalRoomID: {1, 2, 3}, public: {1}})

	// Text travels exactly, whatever characters it holds (the real store
	// passes the batch as array parameters).
	tricky := []string{`a "quoted", {braced} \ back\\slash`, "NULL", "  multi\nline\t€ 😀 '}'  "}
	cids := []string{`q"\{,}`, "NULL", ""}
	reqs = reqs[:0]
	for i := range tricky {
		reqs = append(reqs, req(b, private, tricky[i], cids[i]))
	}
	for _, r := range f.app.SendMessages(f.ctx, reqs) {
		if r.Err != nil || !r.Created {
			t.Fatalf("tricky batch: %+v", r)
		}
	}
	p, err := f.app.History(f.ctx, b, private, domain.HistoryQuery{After: 3})
	if err != nil || len(p.Items) != len(tricky) {
		t.Fatalf("tricky history = %+v, %v", p.Items, err)
	}
	for i, m := range p.Items {
		if m.Content != tricky[i] || m.ClientMsgID != cids[i] {
			t.Errorf("stored %q / %q, sent %q / %q", m.Content, m.ClientMsgID, tricky[i], cids[i])
		}
	}
	again := f.app.SendMessages(f.ctx, reqs[:2])
	for i, r := range again {
		if r.Err != nil || r.Created || r.Message.ID != p.Items[i].ID {
			t.Errorf("resend of tricky client id %q = %+v", cids[i], r)
		}
	}

	// A malformed sender id (a caller's bug) fails alone.
	got = f.app.SendMessages(f.ctx, []app.SendRequest{req("not-a-uuid", "", "x", ""), req(c, "", "fine", "")})
	if got[0].Err == nil || got[1].Err != nil || !got[1].Created || got[1].Message.Seq != 4 {
		t.Errorf("batch with a malformed sender = %+v", got)
	}
}

// wantMessageEvents drains the outbox and checks each room's
// message.created events are exactly want, in order. Both harnesses
// encode events as the domain.Event JSON.
func wantMessageEvents(t *testing.T, f *fixture, want map[string][]int64) {
	t.Helper()
	got := map[string][]int64{}
	capture := func(_ context.Context, recs []domain.Record) error {
		for _, r := range recs {
			var e domain.Event
			if err := json.Unmarshal(r.Data, &e); err != nil {
				return err
			}
			if r.Type == domain.EventMessageCreated && e.Message != nil {
				got[r.RoomID] = append(got[r.RoomID], e.Message.Seq)
			}
		}
		return nil
	}
	for {
		n, err := f.h.Outbox.Drain(f.ctx, 7, capture)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	for room, seqs := range want {
		if len(got[room]) != len(seqs) {
			t.Errorf("room %s message events %v, want %v", room, got[room], seqs)
			continue
		}
		for i := range seqs {
			if got[room][i] != seqs[i] {
				t.Errorf("room %s message events %v, want %v", room, got[room], seqs)
				break
			}
		}
	}
}
