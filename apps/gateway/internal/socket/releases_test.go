package socket

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/modules/presence"
	"github.com/chatforge/chat/platform/testenv"
)

// TestPresenceReleasesBurst: 2,000 sockets close at once; their releases
// are batched, the flush on stop leaves nothing behind, and each user is
// announced offline exactly once.
func TestPresenceReleasesBurst(t *testing.T) {
	t.Parallel()
	rdb := testenv.RedisClient(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	pres, err := presence.New(presence.Deps{Redis: rdb, Config: presence.Config{KeyPrefix: "p" + id, EventsChannel: "ev:" + id, TypingChannel: "ty:" + id}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const users, perUser = 1000, 2
	var conns []presence.Conn
	for u := range users {
		for c := range perUser {
			conns = append(conns, presence.Conn{UserID: fmt.Sprint("u", u), ConnID: fmt.Sprint("u", u, "c", c)})
		}
	}
	for _, c := range conns {
		if err := pres.Connect(ctx, c); err != nil {
			t.Fatal(err)
		}
	}

	ps := rdb.Subscribe(ctx, "ev:"+id)
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	offline := make(chan map[string]int, 1)
	go func() {
		seen := map[string]int{}
		ch := ps.Channel(redis.WithChannelSize(users))
		for len(seen) < users {
			select {
			case m := <-ch:
				if e, err := presence.DecodeEvent([]byte(m.Payload)); err == nil && !e.Online {
					seen[e.UserID]++
				}
			case <-time.After(5 * time.Second):
				offline <- seen
				return
			}
		}
		// Any duplicate would come right after.
		select {
		case m := <-ch:
			if e, err := presence.DecodeEvent([]byte(m.Payload)); err == nil {
				seen[e.UserID]++
			}
		case <-time.After(200 * time.Millisecond):
		}
		offline <- seen
	}()

	r := &presenceReleases{pres: pres, log: slog.New(slog.DiscardHandler), wake: make(chan struct{}, 1), done: make(chan struct{})}
	r.start()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() { r.add(c) })
	}
	wg.Wait()
	r.stop()

	for u := range users {
		if p, err := pres.Status(ctx, fmt.Sprint("u", u)); err != nil || p.Online {
			t.Fatalf("u%d after stop: %+v, %v", u, p, err)
		}
	}
	seen := <-offline
	if len(seen) != users {
		t.Fatalf("%d users announced offline, want %d", len(seen), users)
	}
	for u, n := range seen {
		if n != 1 {
			t.Errorf("%s announced offline %d times", u, n)
		}
	}
	// After stop, a release happens at once.
	late := presence.Conn{UserID: "late", ConnID: "c"}
	if err := pres.Connect(ctx, late); err != nil {
		t.Fatal(err)
	}
	r.add(late)
	if p, _ := pres.Status(ctx, "late"); p.Online {
		t.Error("a release after stop was not done at once")
	}
}
