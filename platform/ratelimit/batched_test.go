package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/ratelimit"
)

// run starts l.Run with a short interval until the test ends.
func run(t *testing.T, l *ratelimit.Limiter) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = l.Run(ctx, 10*time.Millisecond); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, "Run started", l.Syncing)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// One instance is exact, and its counts reach Redis, where the strict
// Allow of any instance sees them.
func TestAllowBatchedSingleInstanceExactAndShared(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	rdb := newRedis(t)
	l := ratelimit.New(rdb, nil)
	run(t, l)
	lim := ratelimit.Limit{Rate: 1, Period: time.Minute, Burst: 5}

	for i := range 5 {
		if ok, _, err := l.AllowBatched(ctx, "user:alice", lim); err != nil || !ok {
			t.Fatalf("request %d within burst: allowed=%v err=%v", i, ok, err)
		}
	}
	ok, retry, err := l.AllowBatched(ctx, "user:alice", lim)
	if err != nil || ok || retry <= 0 || retry > time.Minute {
		t.Fatalf("over burst: allowed=%v retry=%v err=%v", ok, retry, err)
	}
	if ok, _, _ := l.AllowBatched(ctx, "user:bob", lim); !ok {
		t.Error("another key was limited")
	}
	// Once synced, a strict check elsewhere finds the budget spent.
	other := ratelimit.New(rdb, nil)
	waitFor(t, "sync", func() bool {
		n, _ := rdb.Exists(ctx, "rate:rl:user:alice").Result()
		return n == 1
	})
	if ok, _, _ := other.Allow(ctx, "user:alice", lim); ok {
		t.Error("strict Allow on another instance ignored the batched counts")
	}
}

// Two instances: the second admits at most a burst before it learns the
// first's counts, then refuses (the documented bound).
func TestAllowBatchedInstancesLearnEachOther(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	rdb := newRedis(t)
	a, b := ratelimit.New(rdb, nil), ratelimit.New(rdb, nil)
	run(t, a)
	run(t, b)
	lim := ratelimit.Limit{Rate: 1, Period: time.Hour, Burst: 4}

	for range 4 {
		if ok, _, _ := a.AllowBatched(ctx, "user:carol", lim); !ok {
			t.Fatal("a refused within burst")
		}
	}
	waitFor(t, "a's counts in Redis", func() bool {
		n, _ := rdb.Exists(ctx, "rate:rl:user:carol").Result()
		return n == 1
	})
	spent, _ := rdb.Get(ctx, "rate:rl:user:carol").Result()
	// b has not synced yet: its own burst admits.
	if ok, _, _ := b.AllowBatched(ctx, "user:carol", lim); !ok {
		t.Fatal("b refused before knowing anything of a")
	}
	waitFor(t, "b's count in Redis", func() bool {
		v, _ := rdb.Get(ctx, "rate:rl:user:carol").Result()
		return v != spent
	})
	time.Sleep(50 * time.Millisecond) // b applies Redis's answer in the same sync
	// On its own burst b would admit three more; having learned, it refuses.
	if ok, _, _ := b.AllowBatched(ctx, "user:carol", lim); ok {
		t.Error("b admitted over a budget a spent, after syncing")
	}
	// The excess is debt: a stays refused too once it syncs.
	waitFor(t, "a refusing", func() bool {
		ok, _, _ := a.AllowBatched(ctx, "user:carol", lim)
		return !ok
	})
}

// Without Run, AllowBatched is the strict Allow.
func TestAllowBatchedWithoutRunIsStrict(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	rdb := newRedis(t)
	a, b := ratelimit.New(rdb, nil), ratelimit.New(rdb, nil)
	lim := ratelimit.Limit{Rate: 1, Period: time.Hour, Burst: 2}
	for _, l := range []*ratelimit.Limiter{a, b} {
		if ok, _, _ := l.AllowBatched(ctx, "user:dave", lim); !ok {
			t.Fatal("refused within burst")
		}
	}
	if ok, _, _ := a.AllowBatched(ctx, "user:dave", lim); ok {
		t.Error("strict mode admitted over the shared burst")
	}
}

// With Redis down, the local limit still holds (no fail-open there).
func TestAllowBatchedRedisDownStillLimitsLocally(t *testing.T) {
	t.Parallel()
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 50 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = down.Close() })
	l := ratelimit.New(down, nil)
	run(t, l)
	lim := ratelimit.Limit{Rate: 1, Period: time.Hour, Burst: 2}
	for range 2 {
		if ok, _, err := l.AllowBatched(t.Context(), "user:erin", lim); !ok || err != nil {
			t.Fatalf("refused within burst: %v", err)
		}
	}
	if ok, _, _ := l.AllowBatched(t.Context(), "user:erin", lim); ok {
		t.Error("admitted over burst with Redis down")
	}
	if _, _, err := l.AllowBatched(t.Context(), "", lim); err == nil {
		t.Error("empty key: no error")
	}
	if _, _, err := l.AllowBatched(t.Context(), "k", ratelimit.Limit{}); err == nil {
		t.Error("invalid limit: no error")
	}
}
