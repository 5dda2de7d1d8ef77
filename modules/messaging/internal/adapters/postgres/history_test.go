package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/database"
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
	acc, asc, err := s.History(t.Context(), domain.GlobalRoomID, u, domain.HistoryQuery{Ascending: true, Limit: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if acc.Room.ID != domain.GlobalRoomID || acc.Room.Kind != domain.KindGlobal || acc.CanRead() != nil {
		t.Errorf("access = %+v", acc)
	}
	_, desc, err := s.History(t.Context(), domain.GlobalRoomID, u, domain.HistoryQuery{Limit: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(asc) != len(sent) || len(desc) != len(sent) {
		t.Fatalf("got %d/%d messages, want %d", len(asc), len(desc), len(sent))
	}
	for i, want := range sent {
		for _, got := range []domain.Message{asc[i], desc[len(desc)-1-i]} {
			if got.ID != want.ID || got.RoomID != want.RoomID || got.Seq != want.Seq || got.UserID != want.UserID ||
				got.Content != want.Content || got.ClientMsgID != want.ClientMsgID || got.Rev != want.Rev || want.Rev != want.Seq ||
				!got.CreatedAt.Equal(want.CreatedAt) || got.CreatedAt.Location() != want.CreatedAt.Location() {
				t.Errorf("message %d = %+v, want %+v", i, got, want)
			}
		}
	}
	acc, none, err := s.History(t.Context(), domain.GlobalRoomID, u, domain.HistoryQuery{After: sent[3].Seq, Limit: 10}, nil)
	if err != nil || len(none) != 0 || acc.Room.Kind != domain.KindGlobal {
		t.Errorf("past the end: %d messages, %+v, %v", len(none), acc, err)
	}
	_, _, err = s.History(t.Context(), "0190a000-0000-7000-8000-000000000000", u, domain.HistoryQuery{Limit: 10}, nil)
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
		acc, msgs, err := s.History(t.Context(), room, owner, domain.HistoryQuery{Limit: 10}, nil)
		if err != nil || acc.Role != domain.RoleOwner || acc.Room.Kind != kind || len(msgs) != 2 || msgs[0].Seq != 2 || msgs[0].RoomID != room {
			t.Errorf("%s, owner: %+v %+v %v", kind, acc, msgs, err)
		}
		acc, msgs, err = s.History(t.Context(), room, outsider, domain.HistoryQuery{Limit: 10}, nil)
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

// History's messages share one string per page, built from a buffer the
// store reuses: a page read earlier must keep its text when later pages
// reuse the buffer.
func TestHistoryPagesKeepTheirText(t *testing.T) {
	db := open(t, testenv.Postgres(t, migrations.FS))
	s := newStore(db)
	a := app.New(ports(s), app.Options{})
	u := addUser(t, db)
	var sent []domain.Message
	for i := range 12 {
		m, _, err := a.SendMessage(t.Context(), u, app.SendInput{Content: strings.Repeat(string(rune('a'+i)), 10+i), ClientMsgID: fmt.Sprint("c-", i)})
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, m)
	}
	var pages [][]domain.Message
	for before := int64(13); before > 1; before -= 3 {
		_, msgs, err := s.History(t.Context(), domain.GlobalRoomID, u, domain.HistoryQuery{Before: before, Limit: 3}, nil)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, msgs)
	}
	for p, msgs := range pages {
		for i, got := range msgs {
			want := sent[12-3*p-i-1]
			if got.ID != want.ID || got.UserID != want.UserID || got.Content != want.Content || got.ClientMsgID != want.ClientMsgID {
				t.Errorf("page %d item %d = %+v, want %+v", p, i, got, want)
			}
		}
	}
}

// History takes its connection from the store's pool, so DB_MAX_OPEN_CONNS
// bounds it too: with the only connection held, it waits for it.
func TestHistoryUsesThePool(t *testing.T) {
	db := openPool(t, testenv.Postgres(t, migrations.FS), 1)
	s := newStore(db)
	u := addUser(t, db)
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	held := db.Begin()
	if held.Error != nil {
		t.Fatal(held.Error)
	}
	res := make(chan error, 1)
	go func() {
		_, _, err := s.History(t.Context(), domain.GlobalRoomID, u, domain.HistoryQuery{Limit: 10}, nil)
		res <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); sqlDB.Stats().WaitCount == 0; {
		select {
		case err := <-res:
			t.Fatalf("History ran while the pool's only connection was held (%v): it has connections of its own", err)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("History never waited for the pool")
		}
	}
	if err := held.Rollback().Error; err != nil {
		t.Fatal(err)
	}
	if err := <-res; err != nil {
		t.Fatal(err)
	}
}

// A History cancelled while PostgreSQL runs it returns context.Canceled
// (the client went away: not a fault, not a schema mismatch), and the
// connection it broke does not poison the pool.
func TestHistoryCancelledMidQuery(t *testing.T) {
	dsn := testenv.Postgres(t, migrations.FS)
	db, other := openPool(t, dsn, 1), open(t, dsn)
	s := newStore(db)
	u := addUser(t, db)
	// Prepared once on the pool's one connection: the cancelled run then
	// fails while executing, before any result (it used to report "history:
	// 0 columns, want 8").
	if _, _, err := s.History(t.Context(), domain.GlobalRoomID, u, domain.HistoryQuery{Limit: 10}, nil); err != nil {
		t.Fatal(err)
	}
	lock := other.Begin()
	if err := lock.Exec(`LOCK TABLE messages IN ACCESS EXCLUSIVE MODE`).Error; err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	res := make(chan error, 1)
	go func() {
		_, _, err := s.History(ctx, domain.GlobalRoomID, u, domain.HistoryQuery{Limit: 10}, nil)
		res <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var waiting int
		if err := other.Raw(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting).Error; err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("History never waited for the lock")
		}
	}
	cancel()
	select {
	case err := <-res:
		if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "columns") {
			t.Fatalf("cancelled History = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("History did not return once cancelled")
	}
	if err := lock.Rollback().Error; err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.History(t.Context(), domain.GlobalRoomID, u, domain.HistoryQuery{Limit: 10}, nil); err != nil {
		t.Fatalf("History after a cancelled one: %v", err)
	}
}

// openPool is open with a pool of n connections.
func openPool(t testing.TB, dsn string, n int) *gorm.DB {
	t.Helper()
	db, err := database.Open(t.Context(), config.Postgres{URL: dsn, MaxOpenConns: n, MaxIdleConns: n}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	return db
}
