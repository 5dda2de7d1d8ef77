package ratelimit

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/testenv"
)

// failScripts fails the next n script calls (EVALSHA, EVAL) as a Redis
// hiccup would, then lets them through.
type failScripts struct{ n atomic.Int32 }

func (f *failScripts) DialHook(next redis.DialHook) redis.DialHook { return next }

func (f *failScripts) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if name := cmd.Name(); (name == "evalsha" || name == "eval") && f.n.Add(-1) >= 0 {
			err := errors.New("injected failure")
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

func (f *failScripts) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// A sync that fails keeps its counts for the next one: once Redis answers
// again, the admissions made during the failure are in the shared state.
func TestSyncCarriesFailedCounts(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	rdb := testenv.RedisClient(t)
	hook := &failScripts{}
	hook.n.Store(1)
	rdb.AddHook(hook)
	l := New(rdb, nil)
	lim := Limit{Rate: 1, Period: time.Hour, Burst: 5}
	for range 5 {
		if ok, _ := l.local.allow("user:frank", lim, time.Now()); !ok {
			t.Fatal("refused within burst")
		}
	}

	l.sync(ctx) // fails
	if n := rdb.Exists(ctx, "rate:rl:user:frank").Val(); n != 0 {
		t.Fatal("the failing sync reached Redis")
	}
	l.sync(ctx) // Redis is back
	// Five events of an hour each: about five hours to drain.
	if ttl := rdb.TTL(ctx, "rate:rl:user:frank").Val(); ttl < 4*time.Hour || ttl > 5*time.Hour+time.Minute {
		t.Fatalf("after recovery the key drains in %v, want about 5h (the 5 admissions)", ttl)
	}
	if ok, _, _ := New(rdb, nil).Allow(ctx, "user:frank", lim); ok {
		t.Error("strict Allow elsewhere admitted: the counts of the failed sync were lost")
	}
	l.sync(ctx)
	if ttl := rdb.TTL(ctx, "rate:rl:user:frank").Val(); ttl > 5*time.Hour+time.Minute {
		t.Errorf("counted again on the next sync: drains in %v", ttl)
	}
}

// Only the undrained part of a failed count is carried, so a long outage
// keeps no debt (nor key) for what has refilled meanwhile.
func TestCarryKeepsOnlyUndrainedCounts(t *testing.T) {
	t.Parallel()
	l := newLocal()
	lim := Limit{Rate: 1, Period: time.Second, Burst: 10}
	now := time.Now()
	for i := range 2 {
		for range 4 {
			l.allow(strconv.Itoa(i), lim, now) // tat = now + 4s
		}
	}
	dues := l.take(now)
	if len(dues) != 2 {
		t.Fatalf("take reported %d keys, want 2", len(dues))
	}
	l.carry(dues[0], now.Add(2500*time.Millisecond)) // 1.5s left: 2 events
	l.carry(dues[1], now.Add(time.Hour))             // drained
	got := l.take(now.Add(3 * time.Second))
	if len(got) != 1 || got[0].key != dues[0].key || got[0].count != 2 {
		t.Fatalf("after carrying, take = %+v; want %s with 2 events", got, dues[0].key)
	}
	if l.take(now.Add(time.Hour)); l.len() != 0 {
		t.Errorf("%d keys kept after draining, want 0", l.len())
	}
}
