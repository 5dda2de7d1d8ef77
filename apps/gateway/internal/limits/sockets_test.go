package limits

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/testenv"
)

func testRedis(t *testing.T) *redis.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("needs Redis")
	}
	opts, err := redis.ParseURL(testenv.Redis(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// TestSocketsLeases runs the lease life cycle against Redis: the limit,
// release, renewal, and the leases of a gateway that died (never renewed)
// lapsing after the TTL.
func TestSocketsLeases(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	s := NewSockets(rdb, 2, time.Minute)
	clock := time.Unix(1_800_000_000, 0)
	s.now = func() time.Time { return clock }

	a1, a2, a3 := Lease{"alice", "c1"}, Lease{"alice", "c2"}, Lease{"alice", "c3"}
	for _, l := range []Lease{a1, a2} {
		if ok, _, err := s.Acquire(ctx, l); !ok || err != nil {
			t.Fatalf("acquire %v: %v %v", l, ok, err)
		}
	}
	ok, retry, err := s.Acquire(ctx, a3)
	if ok || err != nil || retry != time.Minute {
		t.Fatalf("third: ok=%v retry=%s err=%v, want refused, retry 1m", ok, retry, err)
	}
	if ok, _, _ := s.Acquire(ctx, Lease{"bob", "c1"}); !ok {
		t.Fatal("another user refused")
	}
	if err := s.Release(ctx, []Lease{a1}); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := s.Acquire(ctx, a3); !ok {
		t.Fatal("refused after a release")
	}

	// 50 s later a2 and a3 are renewed by their gateway; 20 s after that
	// (70 s after the start) they still hold.
	clock = clock.Add(50 * time.Second)
	if err := s.Renew(ctx, []Lease{a2, a3}); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(20 * time.Second)
	if ok, _, _ := s.Acquire(ctx, Lease{"alice", "c4"}); ok {
		t.Fatal("admitted over renewed leases")
	}
	// Their gateway dies: no more renewals, and a minute later the slots
	// are free again.
	clock = clock.Add(time.Minute)
	if ok, _, _ := s.Acquire(ctx, Lease{"alice", "c5"}); !ok {
		t.Fatal("a dead gateway's leases did not lapse")
	}
	// Leases lost with Redis's data come back with the next renewal.
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Renew(ctx, []Lease{a2, a3}); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := s.Acquire(ctx, Lease{"alice", "c6"}); ok {
		t.Fatal("admitted over leases renewed after a data loss")
	}
}
