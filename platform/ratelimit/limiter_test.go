package ratelimit_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/ratelimit"
	"github.com/chatforge/chat/platform/testenv"
)

func newRedis(t *testing.T) *redis.Client {
	t.Helper()
	rdb := testenv.RedisClient(t)
	return rdb
}

func TestAllow(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	rdb := newRedis(t)
	l := ratelimit.New(rdb, nil)
	lim := ratelimit.Limit{Rate: 1, Period: time.Minute, Burst: 2}

	for i := range 2 {
		ok, _, err := l.Allow(ctx, "login:alice", lim)
		if err != nil || !ok {
			t.Fatalf("request %d within burst: allowed=%v err=%v", i, ok, err)
		}
	}
	ok, retry, err := l.Allow(ctx, "login:alice", lim)
	if err != nil || ok {
		t.Fatalf("over burst: allowed=%v err=%v", ok, err)
	}
	// One event per minute: the next slot is at most a minute away.
	if retry <= 0 || retry > time.Minute {
		t.Errorf("retryAfter = %v, want in (0, 1m]", retry)
	}
	// Keys are independent.
	if ok, _, _ := l.Allow(ctx, "login:bob", lim); !ok {
		t.Error("another key was limited")
	}
	// Our keys are namespaced.
	if n, err := rdb.Exists(ctx, "rate:rl:login:alice").Result(); err != nil || n != 1 {
		t.Errorf("key rate:rl:login:alice exists = %d, %v", n, err)
	}
}

func TestAllowInvalid(t *testing.T) {
	t.Parallel()
	l := ratelimit.New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), nil)
	for _, lim := range []ratelimit.Limit{{}, {Rate: 1, Period: time.Second}, {Rate: 1, Burst: 1}, {Period: time.Second, Burst: 1}} {
		if _, _, err := l.Allow(t.Context(), "k", lim); err == nil {
			t.Errorf("Allow with %+v: no error", lim)
		}
	}
	if _, _, err := l.Allow(t.Context(), "", ratelimit.Limit{Rate: 1, Period: time.Second, Burst: 1}); err == nil {
		t.Error("Allow with empty key: no error")
	}
}

func TestAllowFailsOpen(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = down.Close() })
	l := ratelimit.New(down, log)
	lim := ratelimit.Limit{Rate: 1, Period: time.Minute, Burst: 1}

	for i := range 3 {
		ok, retry, err := l.Allow(t.Context(), "k", lim)
		if !ok || retry != 0 || err != nil {
			t.Fatalf("call %d with Redis down: allowed=%v retry=%v err=%v, want allowed", i, ok, retry, err)
		}
	}
	// An outage logs once, not once per request.
	if n := strings.Count(logs.String(), "rate limiter unavailable"); n != 1 {
		t.Errorf("logged %d times, want 1:\n%s", n, logs.String())
	}
}
