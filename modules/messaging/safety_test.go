package messaging_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/chatforge/chat/modules/messaging"
	"github.com/chatforge/chat/platform/testenv"
)

// TestHideMessageAndAutoReport: the Go API automatic moderation uses, on
// the real PostgreSQL: a hidden message keeps its place but its content is
// withheld from members (history, the message.updated event) and shown to
// the owner; the automatic report (no reporter, one per message) is in the
// queue, and dismissing it shows the message again.
func TestHideMessageAndAutoReport(t *testing.T) {
	db := openDB(t)
	m := newModule(t, db, redisClient(t, testenv.Redis(t)))
	ctx := t.Context()
	owner, member := addUser(t, db), addUser(t, db)
	room := addRoom(t, db, owner, member)
	if err := db.Exec(`UPDATE memberships SET role = 'owner' WHERE room_id = ? AND user_id = ?`, room, owner).Error; err != nil {
		t.Fatal(err)
	}
	msg, err := m.SendMessage(ctx, member, messaging.SendInput{RoomID: room, Content: "buy cheap pills"})
	if err != nil {
		t.Fatal(err)
	}

	hidden, err := m.HideMessage(ctx, msg.ID, "spam")
	if err != nil {
		t.Fatal(err)
	}
	if hidden.Moderation.Status != messaging.ModerationHidden || hidden.Moderation.Reason != "spam" || hidden.Rev <= msg.Rev {
		t.Fatalf("hidden = %+v", hidden)
	}
	again, err := m.HideMessage(ctx, msg.ID, "spam")
	if err != nil || again.Rev != hidden.Rev {
		t.Fatalf("hiding twice: %+v, %v", again, err)
	}
	page, err := m.History(ctx, member, room, messaging.HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if got := page.Items[0]; got.Content != "" || got.Moderation.Status != "hidden" || got.Seq != msg.Seq {
		t.Errorf("a member's history shows %+v", got)
	}
	if page, err = m.History(ctx, owner, room, messaging.HistoryQuery{}); err != nil || page.Items[0].Content != "buy cheap pills" {
		t.Errorf("the owner's history shows %+v (%v)", page.Items, err)
	}
	var payload string
	if err := db.Raw(`SELECT payload::text FROM outbox WHERE type = 'message.updated' ORDER BY id DESC LIMIT 1`).Scan(&payload).Error; err != nil {
		t.Fatal(err)
	}
	var ev messaging.Message
	if err := json.Unmarshal([]byte(payload), &ev); err != nil || ev.Content != "" || ev.Moderation.Status != "hidden" {
		t.Errorf("message.updated event %s (%v): content must be withheld", payload, err)
	}

	rep, err := m.OpenReport(ctx, msg.ID, "blocked word")
	if err != nil {
		t.Fatal(err)
	}
	if rep2, err := m.OpenReport(ctx, msg.ID, "blocked word"); err != nil || rep2.ID != rep.ID {
		t.Errorf("second automatic report: %+v, %v", rep2, err)
	}
	if _, err := m.Reports(ctx, member, room, ""); !errors.Is(err, messaging.ErrForbidden) {
		t.Errorf("a member reading the queue: %v", err)
	}
	queue, err := m.Reports(ctx, owner, room, "")
	if err != nil || len(queue) != 1 || queue[0].ReporterID != "" || queue[0].Message == nil || queue[0].Message.Content != "buy cheap pills" {
		t.Fatalf("queue = %+v, %v", queue, err)
	}
	if _, err := m.OpenReport(ctx, "00000000-0000-0000-0000-0000000000aa", "x"); !errors.Is(err, messaging.ErrMessageNotFound) {
		t.Errorf("report of an unknown message: %v", err)
	}

	if _, err := m.ResolveReport(ctx, owner, rep.ID, messaging.Resolution{Action: "dismiss"}); err != nil {
		t.Fatal(err)
	}
	if page, err = m.History(ctx, member, room, messaging.HistoryQuery{}); err != nil || page.Items[0].Content != "buy cheap pills" || page.Items[0].Moderation.Status != "" {
		t.Errorf("after dismiss a member sees %+v (%v)", page.Items, err)
	}
	if _, err := m.ResolveReport(ctx, owner, rep.ID, messaging.Resolution{Action: "dismiss"}); !errors.Is(err, messaging.ErrReportResolved) {
		t.Errorf("resolving twice: %v", err)
	}
	var actions []string
	if err := db.Raw(`SELECT action FROM moderation_log WHERE room_id = ? ORDER BY id`, room).Scan(&actions).Error; err != nil {
		t.Fatal(err)
	}
	if len(actions) != 2 || actions[0] != "hide" || actions[1] != "dismiss" {
		t.Errorf("moderation log = %v", actions)
	}
}
