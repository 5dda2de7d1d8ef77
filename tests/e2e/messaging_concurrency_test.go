package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestChatConcurrentSendersTwoAPIs: ten users send at once into one room
// through two api processes; the room's seqs are exactly 1..N, history
// agrees on both processes, and every message reaches the event stream in
// seq order.
func TestChatConcurrentSendersTwoAPIs(t *testing.T) {
	s := harness.NewStack(t, harness.Options{APIs: 2})
	c := s.Client(t) // round-robin over both processes
	users := make([]chat, 10)
	for i := range users {
		users[i] = newChat(t, s, c)
	}
	var ids []string
	for _, u := range users[1:] {
		ids = append(ids, u.a.ID)
	}
	room := users[0].createRoom("private", ids...).ID

	const each = 20
	var mu sync.Mutex
	var seqs []int64
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Go(func() {
			for j := range each {
				var m chatMessage
				res := u.do(http.MethodPost, "/api/chat/messages", map[string]any{"roomId": room, "content": fmt.Sprintf("user %d message %d", i, j)})
				if res.Status != http.StatusCreated {
					t.Errorf("send: %s", res)
					return
				}
				res.JSON(t, &m)
				mu.Lock()
				seqs = append(seqs, m.Seq)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	n := len(users) * each
	slices.Sort(seqs)
	for i, seq := range seqs {
		if seq != int64(i+1) {
			t.Fatalf("seqs %v: want exactly 1..%d", seqs, n)
		}
	}
	for _, api := range s.APIs {
		u := users[0]
		u.c = c.Pin(api)
		if p := u.history(room, qs("limit", "1")); len(p.Items) != 1 || p.Items[0].Seq != int64(n) {
			t.Errorf("%s: newest message %+v, want seq %d", api.Name(), p.Items, n)
		}
	}

	// The relay (one of the two processes at a time) publishes every message.
	opts, err := redis.ParseURL(s.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	var got []int64
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got = streamSeqs(t, rdb, room)
		if len(got) >= n || time.Now().After(deadline) {
			break
		}
	}
	if len(got) != n || !slices.IsSorted(got) || got[0] != 1 || got[n-1] != int64(n) {
		t.Errorf("stream holds %d message events for the room (%v), want 1..%d in order", len(got), got, n)
	}
}

// streamSeqs reads the message.created events of room from every event
// stream partition (chat:events:{0..3}), in stream order.
func streamSeqs(t *testing.T, rdb redis.Cmdable, room string) []int64 {
	t.Helper()
	var seqs []int64
	for p := range 4 {
		entries, err := rdb.XRange(context.Background(), fmt.Sprintf("chat:events:{%d}", p), "-", "+").Result()
		if err != nil {
			t.Fatalf("read stream: %v", err)
		}
		for _, e := range entries {
			if e.Values["room"] != room || e.Values["type"] != "message.created" {
				continue
			}
			var m chatMessage
			if err := jsonUnmarshalString(e.Values["data"], &m); err != nil {
				t.Fatalf("event data %v: %v", e.Values["data"], err)
			}
			seqs = append(seqs, m.Seq)
		}
	}
	return seqs
}
