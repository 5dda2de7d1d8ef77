package postgres_test

import (
	"testing"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/testenv"
)

// History scans rows by hand: every field must come back as stored, with
// and without a client id, in both directions.
func TestHistoryReturnsStoredMessages(t *testing.T) {
	db := open(t, testenv.Postgres(t, migrations.FS))
	s := newStore(db)
	a := app.New(ports(s), app.Options{})
	u := addUser(t, db)
	var sent []domain.Message
	for i, cid := range []string{"", "c-1", "", "c-2"} {
		m, _, err := a.SendMessage(t.Context(), u, app.SendInput{Content: "m" + string(rune('0'+i)), ClientMsgID: cid})
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, m)
	}
	asc, err := s.History(t.Context(), domain.GlobalRoomID, domain.HistoryQuery{Ascending: true, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	desc, err := s.History(t.Context(), domain.GlobalRoomID, domain.HistoryQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(asc) != len(sent) || len(desc) != len(sent) {
		t.Fatalf("got %d/%d messages, want %d", len(asc), len(desc), len(sent))
	}
	for i, want := range sent {
		for _, got := range []domain.Message{asc[i], desc[len(desc)-1-i]} {
			if got.ID != want.ID || got.RoomID != want.RoomID || got.Seq != want.Seq || got.UserID != want.UserID ||
				got.Content != want.Content || got.ClientMsgID != want.ClientMsgID ||
				!got.CreatedAt.Equal(want.CreatedAt) || got.CreatedAt.Location() != want.CreatedAt.Location() {
				t.Errorf("message %d = %+v, want %+v", i, got, want)
			}
		}
	}
	none, err := s.History(t.Context(), domain.GlobalRoomID, domain.HistoryQuery{After: sent[3].Seq, Limit: 10})
	if err != nil || len(none) != 0 {
		t.Errorf("past the end: %d messages, %v", len(none), err)
	}
}
