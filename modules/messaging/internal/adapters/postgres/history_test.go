package postgres_test

import (
	"errors"
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
	acc, asc, err := s.History(t.Context(), domain.GlobalRoomID, u, domain.HistoryQuery{Ascending: true, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if acc.Room.ID != domain.GlobalRoomID || acc.Room.Kind != domain.KindGlobal || acc.CanRead() != nil {
		t.Errorf("access = %+v", acc)
	}
	_, desc, err := s.History(t.Context(), domain.GlobalRoomID, u, domain.HistoryQuery{Limit: 10})
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
	acc, none, err := s.History(t.Context(), domain.GlobalRoomID, u, domain.HistoryQuery{After: sent[3].Seq, Limit: 10})
	if err != nil || len(none) != 0 || acc.Room.Kind != domain.KindGlobal {
		t.Errorf("past the end: %d messages, %+v, %v", len(none), acc, err)
	}
	_, _, err = s.History(t.Context(), "0190a000-0000-7000-8000-000000000000", u, domain.HistoryQuery{Limit: 10})
	if !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown room: %v, want ErrNotFound", err)
	}
}

// The one-query History returns the caller's access and, only for a room
// the caller may read, its messages: an outsider of a private room gets the
// access (which the use case refuses) and no row.
func TestHistoryReadsOnlyReadableRooms(t *testing.T) {
	db := open(t, testenv.Postgres(t, migrations.FS))
	s := newStore(db)
	a := app.New(ports(s), app.Options{})
	owner, outsider := addUser(t, db), addUser(t, db)
	for _, kind := range []domain.Kind{domain.KindPrivate, domain.KindPublic} {
		v, _, err := a.CreateRoom(t.Context(), owner, "r-"+string(kind), kind, nil)
		if err != nil {
			t.Fatal(err)
		}
		room := v.Room.ID
		for _, c := range []string{"a", "b"} {
			if _, _, err := a.SendMessage(t.Context(), owner, app.SendInput{RoomID: room, Content: c}); err != nil {
				t.Fatal(err)
			}
		}
		acc, msgs, err := s.History(t.Context(), room, owner, domain.HistoryQuery{Limit: 10})
		if err != nil || acc.Role != domain.RoleOwner || acc.Room.Kind != kind || len(msgs) != 2 || msgs[0].Seq != 2 || msgs[0].RoomID != room {
			t.Errorf("%s, owner: %+v %+v %v", kind, acc, msgs, err)
		}
		acc, msgs, err = s.History(t.Context(), room, outsider, domain.HistoryQuery{Limit: 10})
		if err != nil || acc.Role != domain.RoleNone || acc.Room.Kind != kind {
			t.Fatalf("%s, outsider: %+v %v", kind, acc, err)
		}
		want := 2
		if kind == domain.KindPrivate {
			want = 0
		}
		if len(msgs) != want {
			t.Errorf("%s, outsider: %d messages, want %d", kind, len(msgs), want)
		}
	}
}
