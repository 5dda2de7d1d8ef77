package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chatforge/chat/modules/presence/internal/domain"
)

// TestReleaseManyAnnouncesEachUserOnce: a gateway closes 2,000 sockets at
// once (500 users, 4 connections each, spread over several script calls);
// one ReleaseMany releases them all, and each user is announced offline
// exactly once, with the release time as last seen. Releasing them again
// announces nothing and the connections never come back.
func TestReleaseManyAnnouncesEachUserOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	exp := now.Add(f.ttl)
	const users, perUser = 500, 4

	var leases []domain.Lease
	for c := range perUser { // a user's connections land in different batches
		for u := range users {
			leases = append(leases, lease(fmt.Sprint("u", u), fmt.Sprint("c", c), exp))
		}
	}
	// One user keeps a connection that is not released: stays online.
	leases = append(leases, lease("u0", "kept", exp))

	online := make(chan int, 1)
	go func() {
		n := 0
		for range users {
			if e := f.recv(); e["status"] == "online" {
				n++
			}
		}
		online <- n
	}()
	if n, err := f.store.Acquire(ctx, leases); err != nil || n != len(leases) {
		t.Fatalf("Acquire = %d, %v", n, err)
	}
	if n := <-online; n != users {
		t.Fatalf("%d online events, want %d", n, users)
	}

	release := leases[:len(leases)-1]
	offline := make(chan map[string]int, 1)
	go func() {
		seen := map[string]int{}
		for range users - 1 {
			e := f.recv()
			if e == nil {
				break
			}
			if ls, _ := e["lastSeen"].(float64); e["status"] != "offline" || int64(ls) != now.UnixMilli() {
				t.Errorf("event %v", e)
			}
			uid, _ := e["userId"].(string)
			seen[uid]++
		}
		offline <- seen
	}()
	start := time.Now()
	n, err := f.store.ReleaseMany(ctx, release, now, f.ttl)
	if err != nil || n != users-1 {
		t.Fatalf("ReleaseMany = %d, %v; want %d offline", n, err, users-1)
	}
	t.Logf("released %d connections in %v", len(release), time.Since(start))
	seen := <-offline
	for u := 1; u < users; u++ {
		if c := seen[fmt.Sprint("u", u)]; c != 1 {
			t.Errorf("u%d announced offline %d times", u, c)
		}
	}
	if seen["u0"] != 0 {
		t.Error("u0 announced offline while a connection lives")
	}
	f.none(t)

	if p, _ := f.store.Status(ctx, "u0"); p.Status != domain.Online {
		t.Errorf("u0 = %+v", p)
	}
	if p, _ := f.store.Status(ctx, "u7"); p.Status != domain.Offline || p.LastSeen.UnixMilli() != now.UnixMilli() {
		t.Errorf("u7 = %+v", p)
	}
	// Released twice: nothing; re-acquired: refused (tombstones).
	if n, err := f.store.ReleaseMany(ctx, release, now, f.ttl); err != nil || n != 0 {
		t.Errorf("second ReleaseMany = %d, %v", n, err)
	}
	if n, err := f.store.Acquire(ctx, release); err != nil || n != 0 {
		t.Errorf("Acquire of released connections = %d, %v", n, err)
	}
	f.none(t)
	if c, _ := f.rdb.HLen(ctx, f.store.count).Result(); c != 1 {
		t.Errorf("count hash has %d users, want 1 (u0)", c)
	}
}

// recv is next for goroutines other than the test's: nil after a second
// without an event (the caller's counts then fail the test).
func (f *fixture) recv() map[string]any {
	select {
	case m := <-f.events:
		var v map[string]any
		_ = json.Unmarshal([]byte(m.Payload), &v)
		return v
	case <-time.After(time.Second):
		return nil
	}
}
