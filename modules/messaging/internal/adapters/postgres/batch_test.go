package postgres_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/chatforge/chat/migrations"
	"github.com/chatforge/chat/modules/messaging/internal/app"
	"github.com/chatforge/chat/modules/messaging/internal/domain"
	"github.com/chatforge/chat/platform/testenv"
)

// Concurrent batches over overlapping rooms, from two connection pools (as
// two api processes), each naming the rooms in a different order: no
// deadlock, no error, and every room's seqs are 1..N with no gap, stored
// and in the outbox in seq order.
func TestConcurrentBatchesGapFree(t *testing.T) {
	dsn := testenv.Postgres(t, migrations.FS)
	dbs := []*gorm.DB{open(t, dsn), open(t, dsn)}
	apps := []*app.App{app.New(ports(newStore(dbs[0])), app.Options{}), app.New(ports(newStore(dbs[1])), app.Options{})}
	users := make([]string, 4)
	for i := range users {
		users[i] = addUser(t, dbs[0])
	}
	rooms := []string{domain.GlobalRoomID}
	for range 4 {
		v, _, err := apps[0].CreateRoom(t.Context(), users[0], "shared", domain.KindPrivate, users[1:])
		if err != nil {
			t.Fatal(err)
		}
		rooms = append(rooms, v.Room.ID)
	}
	const workers, batches, size = 4, 15, 20
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for b := range batches {
				reqs := make([]app.SendRequest, size)
				for i := range reqs {
					// Forward for even workers, backward for odd ones.
					r := (i + b) % len(rooms)
					if w%2 == 1 {
						r = len(rooms) - 1 - r
					}
					reqs[i] = app.SendRequest{UserID: users[(w+i)%len(users)], Input: app.SendInput{
						RoomID: rooms[r], Content: fmt.Sprintf("w%d b%d i%d", w, b, i), ClientMsgID: fmt.Sprintf("w%d-b%d-i%d", w, b, i)}}
				}
				for i, res := range apps[w%2].SendMessages(t.Context(), reqs) {
					if res.Err != nil || !res.Created {
						t.Errorf("worker %d batch %d item %d: %+v", w, b, i, res)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	total := 0
	for _, room := range rooms {
		var stored []int64
		if err := dbs[0].Raw(`SELECT seq FROM messages WHERE room_id = ? ORDER BY seq`, room).Scan(&stored).Error; err != nil {
			t.Fatal(err)
		}
		for i, s := range stored {
			if s != int64(i+1) {
				t.Fatalf("room %s seqs %v: want 1..%d", room, stored, len(stored))
			}
		}
		var last struct{ LastSeq, Rev int64 }
		if err := dbs[0].Raw(`SELECT last_seq, rev FROM rooms WHERE id = ?`, room).Scan(&last).Error; err != nil ||
			last.LastSeq != int64(len(stored)) || last.Rev != last.LastSeq {
			t.Errorf("room %s last_seq, rev = %+v, %v; want %d", room, last, err, len(stored))
		}
		// Only sends so far: each took the room's next rev with its seq.
		var revs []int64
		if err := dbs[0].Raw(`SELECT rev FROM messages WHERE room_id = ? ORDER BY seq`, room).Scan(&revs).Error; err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(revs, stored) {
			t.Errorf("room %s revs %v, want %v", room, revs, stored)
		}
		var events []int64
		if err := dbs[0].Raw(`SELECT (payload->'Message'->>'Seq')::bigint FROM outbox
			WHERE room_id = ? AND type = 'message.created' ORDER BY id`, room).Scan(&events).Error; err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(events, stored) {
			t.Errorf("room %s outbox seqs %v, want %v", room, events, stored)
		}
		total += len(stored)
	}
	if total != workers*batches*size {
		t.Errorf("%d messages stored, want %d", total, workers*batches*size)
	}
}

// Batches racing with the same client ids (a command claimed by a second
// api while the first still runs it) store each message once, and the
// losers' fallback leaves no seq gap.
func TestConcurrentBatchResendsStoreOnce(t *testing.T) {
	dsn := testenv.Postgres(t, migrations.FS)
	dbs := []*gorm.DB{open(t, dsn), open(t, dsn)}
	apps := []*app.App{app.New(ports(newStore(dbs[0])), app.Options{}), app.New(ports(newStore(dbs[1])), app.Options{})}
	u := addUser(t, dbs[0])
	const racers, size = 6, 10
	results := make([][]app.SendResult, racers)
	var wg sync.WaitGroup
	for r := range racers {
		wg.Go(func() {
			reqs := make([]app.SendRequest, size)
			for i := range reqs {
				reqs[i] = app.SendRequest{UserID: u, Input: app.SendInput{Content: fmt.Sprintf("m%d", i), ClientMsgID: fmt.Sprintf("c%d", i)}}
			}
			results[r] = apps[r%2].SendMessages(t.Context(), reqs)
		})
	}
	wg.Wait()
	for i := range size {
		created := 0
		for r := range racers {
			res := results[r][i]
			if res.Err != nil || res.Message.ID != results[0][i].Message.ID {
				t.Errorf("racer %d item %d = %+v, want message %s", r, i, res, results[0][i].Message.ID)
			}
			if res.Created {
				created++
			}
		}
		if created != 1 {
			t.Errorf("item %d created %d times", i, created)
		}
	}
	var seqs []int64
	if err := dbs[0].Raw(`SELECT seq FROM messages ORDER BY seq`).Scan(&seqs).Error; err != nil {
		t.Fatal(err)
	}
	if len(seqs) != size || seqs[0] != 1 || seqs[size-1] != size {
		t.Errorf("stored seqs %v, want 1..%d", seqs, size)
	}
}

// A sender who lost membership after the use case's check is refused by
// the store under the room lock: the batch falls back to one by one, that
// message alone fails, the others are stored without a gap.
func TestBatchRechecksMembershipUnderLock(t *testing.T) {
	db := open(t, testenv.Postgres(t, migrations.FS))
	s := newStore(db)
	a := app.New(ports(s), app.Options{})
	owner, gone := addUser(t, db), addUser(t, db)
	v, _, err := a.CreateRoom(t.Context(), owner, "r", domain.KindPrivate, []string{gone})
	if err != nil {
		t.Fatal(err)
	}
	room := v.Room.ID
	if _, err := a.RemoveMember(t.Context(), owner, room, gone); err != nil {
		t.Fatal(err)
	}
	msg := func(id, user string) domain.Message {
		return domain.Message{ID: id, RoomID: room, UserID: user, Content: "x"}
	}
	out, err := s.AppendBatch(t.Context(), []domain.Message{
		msg("01900000-0000-7000-8000-000000000001", owner),
		msg("01900000-0000-7000-8000-000000000002", gone),
		msg("01900000-0000-7000-8000-000000000003", owner),
	})
	if err != nil {
		t.Fatal(err)
	}
	if out[1].Err != domain.ErrNotFound {
		t.Errorf("removed sender: %+v, want ErrNotFound", out[1])
	}
	if !out[0].Created || out[0].Message.Seq != 1 || !out[2].Created || out[2].Message.Seq != 2 {
		t.Errorf("members' messages = %+v, %+v; want seqs 1, 2", out[0], out[2])
	}
}

// A sender with no users row (the foreign key fails the whole statement)
// fails alone: the batch falls back to one by one, with no seq gap.
func TestBatchUnknownSenderFailsAlone(t *testing.T) {
	db := open(t, testenv.Postgres(t, migrations.FS))
	s := newStore(db)
	u := addUser(t, db)
	msg := func(id, user string) domain.Message {
		return domain.Message{ID: id, RoomID: domain.GlobalRoomID, UserID: user, Content: "x"}
	}
	out, err := s.AppendBatch(t.Context(), []domain.Message{
		msg("01900000-0000-7000-8000-000000000001", "01900000-0000-7000-8000-00000000dead"),
		msg("01900000-0000-7000-8000-000000000002", u),
	})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].Err == nil || out[0].Created {
		t.Errorf("unknown sender: %+v, want an error", out[0])
	}
	if out[1].Err != nil || !out[1].Created || out[1].Message.Seq != 1 {
		t.Errorf("known sender: %+v, want seq 1", out[1])
	}
}

// A batch that carries a resend of a stored message is not looked up
// first: its insert fails, the transaction rolls back (its seqs with it),
// one lookup answers the resend with the stored message and the rest is
// stored again, gap-free. The connection is rolled back and kept, not
// left inside a transaction: the pool holds one connection, so every
// statement here runs on it.
func TestBatchWithStoredResend(t *testing.T) {
	dsn := testenv.Postgres(t, migrations.FS)
	db := open(t, dsn)
	if sqlDB, err := db.DB(); err == nil {
		sqlDB.SetMaxOpenConns(1)
	}
	s := newStore(db)
	u := addUser(t, db)
	msg := func(n int, cid string) domain.Message {
		return domain.Message{ID: fmt.Sprintf("01900000-0000-7000-8000-%012d", n), RoomID: domain.GlobalRoomID, UserID: u,
			Content: fmt.Sprintf("m%d", n), ClientMsgID: cid}
	}
	first, err := s.AppendBatch(t.Context(), []domain.Message{msg(1, "a"), msg(2, "b")})
	if err != nil || !first[0].Created || !first[1].Created || first[1].Message.Seq != 2 {
		t.Fatalf("first batch: %+v, %v", first, err)
	}
	var pid, pidAfter int
	if err := db.Raw(`SELECT pg_backend_pid()`).Scan(&pid).Error; err != nil {
		t.Fatal(err)
	}
	out, err := s.AppendBatch(t.Context(), []domain.Message{msg(3, "c"), msg(4, "b"), msg(5, "d")})
	if err != nil {
		t.Fatal(err)
	}
	if out[1].Created || out[1].Message.ID != first[1].Message.ID || out[1].Message.Seq != 2 {
		t.Errorf("resend = %+v, want the stored message (seq 2), not created", out[1])
	}
	if !out[0].Created || out[0].Message.Seq != 3 || !out[2].Created || out[2].Message.Seq != 4 {
		t.Errorf("new messages = %+v, %+v; want created with seqs 3, 4", out[0], out[2])
	}
	var seqs []int64
	if err := db.Raw(`SELECT seq FROM messages ORDER BY seq`).Scan(&seqs).Error; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seqs, []int64{1, 2, 3, 4}) {
		t.Errorf("stored seqs %v, want 1..4", seqs)
	}
	// The failed transaction was rolled back on its connection, which was
	// kept (the pool would have closed one left inside a transaction).
	if err := db.Raw(`SELECT pg_backend_pid()`).Scan(&pidAfter).Error; err != nil || pidAfter != pid {
		t.Errorf("backend %d before the batch, %d after (%v): the connection was replaced", pid, pidAfter, err)
	}
	// SAVEPOINT fails outside a transaction block.
	if err := db.Exec(`SAVEPOINT probe`).Error; err == nil || !strings.Contains(err.Error(), "25P01") {
		t.Errorf("the pooled connection is inside a transaction after the batch (SAVEPOINT: %v)", err)
	}
}
