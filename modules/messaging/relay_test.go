package messaging_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/messaging"
)

// Messages stored while Redis is down are all published, in seq order per
// room and without duplicates, once it is back: the transactional outbox
// at work. Redis here is a private non-persistent server, killed with
// SIGKILL and restarted empty on the same port.
func TestNoEventLostAcrossRedisOutage(t *testing.T) {
	srv := startRedis(t)
	db := openDB(t)
	rdb := redisClient(t, srv.url())
	mod := newModule(t, db, rdb)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := mod.RunRelay(ctx); err != nil {
			t.Errorf("relay: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })

	u1, u2 := addUser(t, db), addUser(t, db)
	rooms := []string{messaging.GlobalRoomID, addRoom(t, db, u1, u2)}
	sent := map[string][]int64{} // room -> seqs stored after the outage began
	send := func(n int, record bool) {
		for i := range n {
			m, err := mod.SendMessage(t.Context(), []string{u1, u2}[i%2], messaging.SendInput{
				RoomID: rooms[i%2], Content: fmt.Sprintf("message %d", i)})
			if err != nil {
				t.Fatalf("send while Redis may be down: %v", err)
			}
			if record {
				sent[m.RoomID] = append(sent[m.RoomID], m.Seq)
			}
		}
	}

	send(10, false)
	waitEvents(t, rdb, 10)

	srv.kill()
	send(30, true)
	if _, err := mod.MarkRead(t.Context(), u1, rooms[1], 5); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the relay fails and backs off meanwhile
	var pending int64
	db.Raw(`SELECT count(*) FROM outbox WHERE published_at IS NULL`).Scan(&pending)
	if pending < 31 {
		t.Fatalf("pending outbox rows during the outage = %d, want >= 31", pending)
	}

	srv.start() // empty: what was published before the kill is gone with it
	send(10, true)
	events := waitEvents(t, rdb, 40)

	ids := map[string]bool{}
	got := map[string][]int64{}
	receipts := 0
	for _, e := range events {
		if ids[e.ID] {
			t.Errorf("event %s delivered twice", e.ID)
		}
		ids[e.ID] = true
		switch {
		case e.Message != nil:
			got[e.RoomID] = append(got[e.RoomID], e.Message.Seq)
		case e.Receipt != nil:
			receipts++
		}
	}
	for _, room := range rooms {
		if fmt.Sprint(got[room]) != fmt.Sprint(sent[room]) {
			t.Errorf("room %s: stream seqs %v, want %v (in order)", room, got[room], sent[room])
		}
		for i := 1; i < len(got[room]); i++ {
			if got[room][i] != got[room][i-1]+1 {
				t.Errorf("room %s: gap or disorder at %v", room, got[room])
				break
			}
		}
	}
	if receipts != 1 {
		t.Errorf("receipt events = %d, want 1", receipts)
	}
	// The relay marks rows published when its transaction commits, just
	// after the XADDs seen above.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		db.Raw(`SELECT count(*) FROM outbox WHERE published_at IS NULL`).Scan(&pending)
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pending outbox rows after recovery = %d", pending)
		}
	}
}

// waitEvents reads every partition until at least n message events are
// there (or fails after a while) and returns all decoded events, each
// partition in stream order.
func waitEvents(t *testing.T, rdb *redis.Client, n int) []messaging.Event {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var events []messaging.Event
		msgs := 0
		for _, key := range messaging.StreamKeys(4) {
			entries, err := rdb.XRange(t.Context(), key, "-", "+").Result()
			if err != nil {
				break
			}
			for _, x := range entries {
				e, err := messaging.DecodeEvent(x.Values)
				if err != nil {
					t.Fatalf("decode %v: %v", x.Values, err)
				}
				events = append(events, e)
				if e.Message != nil {
					msgs++
				}
			}
		}
		if msgs >= n {
			return events
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d message events reached the streams", msgs, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
