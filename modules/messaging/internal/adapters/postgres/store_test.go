package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/modules/messaging/internal/adapters/postgres"
	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/modules/messaging/messagingtest"
	"github.com/chatforge/chat/platform/testenv"
)

func open(t testing.TB, dsn string) *gorm.DB {
	t.Helper()
	return openPool(t, dsn, 12)
}

func newStore(db *gorm.DB) *postgres.Store {
	return postgres.New(db, func(e domain.Event) ([]byte, error) { return json.Marshal(e) }, nil)
}

func ports(s *postgres.Store) app.Ports {
	return app.Ports{Access: s, Messages: s, Batches: s, History: s, Receipts: s, Rooms: s, Reader: s, Lister: s, Members: s, Search: s, Changes: s, Reactions: s, Replies: s, Threads: s, ChangeLog: s, Blocks: s, Moderation: s, Reports: s, MessageReader: s}
}

func addUser(t testing.TB, db *gorm.DB) string {
	t.Helper()
	id := uuid.NewString()
	now := time.Now()
	if err := db.Exec(`INSERT INTO users (id, email, display_name, password_hash, created_at, updated_at) VALUES (?, ?, 'U', 'x', ?, ?)`,
		id, id+"@example.test", now, now).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

func TestContract(t *testing.T) {
	messagingtest.RunContract(t, func(t *testing.T) messagingtest.Harness {
		db := open(t, testenv.Postgres(t, migrations.FS))
		s := newStore(db)
		return messagingtest.Harness{Ports: ports(s), Outbox: s, AddUser: func(t testing.TB) string { return addUser(t, db) }}
	})
}

// Ten senders on two connection pools (as two api processes would be) get
// seqs 1..N with no gap, and the outbox holds their events in seq order.
func TestConcurrentSendersGetGapFreeSeqs(t *testing.T) {
	dsn := testenv.Postgres(t, migrations.FS)
	dbs := []*gorm.DB{open(t, dsn), open(t, dsn)}
	apps := []*app.App{app.New(ports(newStore(dbs[0])), app.Options{}), app.New(ports(newStore(dbs[1])), app.Options{})}
	owner := addUser(t, dbs[0])
	senders := []string{owner}
	for range 9 {
		senders = append(senders, addUser(t, dbs[0]))
	}
	room, _, err := apps[0].CreateRoom(t.Context(), owner, "busy", domain.KindPrivate, senders[1:])
	if err != nil {
		t.Fatal(err)
	}
	const each = 20
	var mu sync.Mutex
	var got []int64
	var wg sync.WaitGroup
	for i, u := range senders {
		wg.Go(func() {
			for j := range each {
				m, _, err := apps[i%2].SendMessage(t.Context(), u, app.SendInput{RoomID: room.Room.ID, Content: fmt.Sprintf("m %d %d", i, j)})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				got = append(got, m.Seq)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(got)
	for i, s := range got {
		if s != int64(i+1) {
			t.Fatalf("seqs %v: want 1..%d", got, len(senders)*each)
		}
	}
	var outboxSeqs []int64
	if err := dbs[0].Raw(`SELECT (payload->'Message'->>'Seq')::bigint FROM outbox
		WHERE room_id = ? AND type = 'message.created' ORDER BY id`, room.Room.ID).Scan(&outboxSeqs).Error; err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(outboxSeqs) || len(outboxSeqs) != len(got) {
		t.Errorf("outbox message events not in seq order: %v", outboxSeqs)
	}
}

// Concurrent resends of one client message id store one message; the
// losers get it back and leave no seq gap.
func TestConcurrentResendsStoreOnce(t *testing.T) {
	db := open(t, testenv.Postgres(t, migrations.FS))
	a := app.New(ports(newStore(db)), app.Options{})
	u := addUser(t, db)
	var wg sync.WaitGroup
	ids := make([]string, 10)
	created := make([]bool, 10)
	for i := range ids {
		wg.Go(func() {
			m, c, err := a.SendMessage(t.Context(), u, app.SendInput{Content: "once", ClientMsgID: "same"})
			if err != nil {
				t.Error(err)
			}
			ids[i], created[i] = m.ID, c
		})
	}
	wg.Wait()
	n := 0
	for i := range ids {
		if ids[i] != ids[0] {
			t.Errorf("resend %d got message %s, want %s", i, ids[i], ids[0])
		}
		if created[i] {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d sends reported created, want 1", n)
	}
	m, _, err := a.SendMessage(t.Context(), u, app.SendInput{Content: "next"})
	if err != nil || m.Seq != 2 {
		t.Errorf("next message seq = %d, %v; want 2 (no gap)", m.Seq, err)
	}
}

// Both users opening their direct room at once get one room.
func TestConcurrentOpenDirect(t *testing.T) {
	db := open(t, testenv.Postgres(t, migrations.FS))
	a := app.New(ports(newStore(db)), app.Options{})
	u, v := addUser(t, db), addUser(t, db)
	rooms := make([]string, 8)
	var wg sync.WaitGroup
	for i := range rooms {
		wg.Go(func() {
			from, to := u, v
			if i%2 == 1 {
				from, to = v, u
			}
			r, _, err := a.OpenDirect(t.Context(), from, to)
			if err != nil {
				t.Error(err)
			}
			rooms[i] = r.Room.ID
		})
	}
	wg.Wait()
	for _, r := range rooms {
		if r != rooms[0] {
			t.Fatalf("rooms %v: want one", rooms)
		}
	}
}

// A member removed while their message waits for the room lock (held by
// the removal) is refused once the removal commits: the membership
// re-check must not use the snapshot taken before the wait.
func TestSendWaitingOnRemovalIsRefused(t *testing.T) {
	dsn := testenv.Postgres(t, migrations.FS)
	db, other := open(t, dsn), open(t, dsn)
	a := app.New(ports(newStore(db)), app.Options{})
	owner, member := addUser(t, db), addUser(t, db)
	room, _, err := a.CreateRoom(t.Context(), owner, "r", domain.KindPrivate, []string{member})
	if err != nil {
		t.Fatal(err)
	}
	id := room.Room.ID
	removal := other.Begin()
	if err := removal.Exec(`SELECT id FROM rooms WHERE id = ? FOR NO KEY UPDATE`, id).Error; err != nil {
		t.Fatal(err)
	}
	if err := removal.Exec(`DELETE FROM memberships WHERE room_id = ? AND user_id = ?`, id, member).Error; err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := a.SendMessage(t.Context(), member, app.SendInput{RoomID: id, Content: "sneaky"})
		done <- err
	}()
	// Wait until the send waits for the room lock.
	for deadline := time.Now().Add(5 * time.Second); ; {
		var waiting int
		if err := db.Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Row().Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("send finished without waiting for the removal: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("send never waited for the room lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := removal.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Fatal("a removed member's message was stored")
	}
	var n, last int64
	if err := db.Raw(`SELECT count(*) FROM messages WHERE room_id = ?`, id).Row().Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := db.Raw(`SELECT last_seq FROM rooms WHERE id = ?`, id).Row().Scan(&last); err != nil {
		t.Fatal(err)
	}
	if n != 0 || last != 0 {
		t.Errorf("messages = %d, last_seq = %d; want 0, 0", n, last)
	}
}

// A relay that drains after another store's relay did is told it took
// over (that relay may have published and died before committing); one
// that drains again after itself is not.
func TestDrainReportsTakeover(t *testing.T) {
	db := open(t, testenv.Postgres(t, migrations.FS))
	s1, s2 := newStore(db), newStore(db)
	a := app.New(ports(s1), app.Options{})
	u := addUser(t, db)
	var got []bool
	for _, s := range []*postgres.Store{s1, s1, s2, s2, s1} {
		if _, _, err := a.SendMessage(t.Context(), u, app.SendInput{Content: "x"}); err != nil {
			t.Fatal(err)
		}
		n, err := s.Drain(t.Context(), 10, func(ctx context.Context, _ []domain.Record) error {
			got = append(got, app.Takeover(ctx))
			return nil
		})
		if err != nil || n != 1 {
			t.Fatalf("drain = %d, %v", n, err)
		}
	}
	if fmt.Sprint(got) != "[true false true false true]" {
		t.Errorf("takeovers = %v", got)
	}
}

// Drain deletes what it published, in the same transaction: a failed
// publish leaves every record pending, a successful one leaves the table
// empty. A drain that finds nothing does not claim the relay (no row
// version per idle poll, no takeover for the relay that published last).
func TestDrainDeletesPublishedRecords(t *testing.T) {
	db := open(t, testenv.Postgres(t, migrations.FS))
	s1, s2 := newStore(db), newStore(db)
	a := app.New(ports(s1), app.Options{})
	u := addUser(t, db)
	for range 3 {
		if _, _, err := a.SendMessage(t.Context(), u, app.SendInput{Content: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	rows := func() (n int64) {
		if err := db.Raw(`SELECT count(*) FROM outbox`).Row().Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	failed := errors.New("redis down")
	if _, err := s1.Drain(t.Context(), 10, func(context.Context, []domain.Record) error { return failed }); !errors.Is(err, failed) {
		t.Fatalf("drain with a failing publish: %v", err)
	}
	if n := rows(); n != 3 {
		t.Fatalf("outbox rows after a failed publish = %d, want 3", n)
	}
	var seqs []int64
	n, err := s1.Drain(t.Context(), 10, func(_ context.Context, recs []domain.Record) error {
		for _, r := range recs {
			seqs = append(seqs, r.OutboxID)
		}
		return nil
	})
	if err != nil || n != 3 || !slices.IsSorted(seqs) {
		t.Fatalf("drain = %d, %v, outbox ids %v (want 3, in order)", n, err, seqs)
	}
	if n := rows(); n != 0 {
		t.Fatalf("outbox rows after publishing = %d, want 0", n)
	}
	if n, err := s2.Drain(t.Context(), 10, nil); n != 0 || err != nil {
		t.Fatalf("empty drain = %d, %v", n, err)
	}
	if _, _, err := a.SendMessage(t.Context(), u, app.SendInput{Content: "x"}); err != nil {
		t.Fatal(err)
	}
	took := true
	if _, err := s1.Drain(t.Context(), 10, func(ctx context.Context, _ []domain.Record) error {
		took = app.Takeover(ctx)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if took {
		t.Errorf("an empty drain by another relay claimed the relay: the last publisher was told it took over")
	}
}
