package messagingtest

import (
	"testing"

	"github.com/chatforge/chat/modules/messaging/internal/domain"
)

// contractReactions: one reaction per (user, message, emoji), idempotent
// add and remove, counts on the message, a rev and an event per change,
// and none on a deleted message.
func contractReactions(t *testing.T, f *fixture) {
	u := f.users(t, 3)
	owner, a, b := u[0], u[1], u[2]
	room := f.room(t, owner, domain.KindPrivate, a, b)
	m := f.send(t, a, room, "react to me")
	drain(t, f)

	r1, err := f.app.React(f.ctx, a, m.ID, "😀", true)
	if err != nil || r1.Rev != m.Rev+1 || len(r1.Reactions) != 1 || r1.Reactions[0] != (domain.ReactionCount{Emoji: "😀", Count: 1}) {
		t.Fatalf("first reaction = %+v, %v", r1, err)
	}
	again, err := f.app.React(f.ctx, a, m.ID, "😀", true)
	if err != nil || again.Rev != r1.Rev || again.Reactions[0].Count != 1 {
		t.Fatalf("same reaction again = %+v, %v; want no change", again, err)
	}
	r2, err := f.app.React(f.ctx, b, m.ID, "😀", true)
	if err != nil || r2.Reactions[0].Count != 2 || r2.Rev != r1.Rev+1 {
		t.Fatalf("second user's reaction = %+v, %v", r2, err)
	}
	r3, err := f.app.React(f.ctx, b, m.ID, ":tada:", true)
	if err != nil || len(r3.Reactions) != 2 || r3.Reactions[1] != (domain.ReactionCount{Emoji: ":tada:", Count: 1}) {
		t.Fatalf("shortcode reaction = %+v, %v", r3, err)
	}
	list, err := f.app.Reactions(f.ctx, owner, m.ID)
	if err != nil || len(list) != 3 || list[0].UserID != a || list[0].Emoji != "😀" {
		t.Fatalf("reactions list = %+v, %v", list, err)
	}
	rm, err := f.app.React(f.ctx, a, m.ID, "😀", false)
	if err != nil || rm.Reactions[0].Count != 1 || rm.Rev != r3.Rev+1 {
		t.Fatalf("remove = %+v, %v", rm, err)
	}
	if rm2, err := f.app.React(f.ctx, a, m.ID, "😀", false); err != nil || rm2.Rev != rm.Rev {
		t.Fatalf("remove again = %+v, %v; want no change", rm2, err)
	}
	_, err = f.app.React(f.ctx, a, m.ID, "not an emoji", true)
	wantErr(t, "a word as emoji", err, domain.ErrInvalid)
	_, err = f.app.React(f.ctx, f.h.AddUser(t), m.ID, "😀", true)
	wantErr(t, "a non-member's reaction", err, domain.ErrMessageNotFound)
	_, err = f.app.Reactions(f.ctx, f.h.AddUser(t), m.ID)
	wantErr(t, "a non-member's list", err, domain.ErrMessageNotFound)

	p, err := f.app.History(f.ctx, a, room, domain.HistoryQuery{Ascending: true})
	if err != nil || len(p.Items) != 1 || len(p.Items[0].Reactions) != 2 || p.Items[0].Rev != rm.Rev {
		t.Fatalf("history = %+v, %v", p, err)
	}
	if n := len(drain(t, f)); n != 4 {
		t.Errorf("%d events for 4 reaction changes", n)
	}

	// A deletion drops the reactions; a deleted message takes no more.
	del, err := f.app.DeleteMessage(f.ctx, a, m.ID)
	if err != nil || len(del.Reactions) != 0 {
		t.Fatalf("delete = %+v, %v", del, err)
	}
	if list, err := f.app.Reactions(f.ctx, a, m.ID); err != nil || len(list) != 0 {
		t.Errorf("reactions of a deleted message = %+v, %v", list, err)
	}
	_, err = f.app.React(f.ctx, b, m.ID, "😀", true)
	wantErr(t, "reaction to a deleted message", err, domain.ErrConflict)
}
