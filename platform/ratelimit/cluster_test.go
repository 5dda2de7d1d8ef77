package ratelimit_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chatforge/chat/platform/ratelimit"
	"github.com/chatforge/chat/platform/testenv"
)

// On a Redis Cluster the batched counts of many keys (many hash slots)
// reach Redis, and the strict Allow sees them.
func TestAllowBatchedOnRedisCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	t.Parallel()
	ctx := t.Context()
	rdb := testenv.StartRedisCluster(t, 3).Client(t)
	l := ratelimit.New(rdb, nil)
	run(t, l)
	lim := ratelimit.Limit{Rate: 1, Period: time.Minute, Burst: 3}
	const users = 60
	for u := range users {
		for range 3 {
			if ok, _, err := l.AllowBatched(ctx, fmt.Sprintf("user:%d", u), lim); err != nil || !ok {
				t.Fatalf("user %d within burst: allowed=%v err=%v", u, ok, err)
			}
		}
	}
	waitFor(t, "every key synced", func() bool {
		for u := range users {
			if n, _ := rdb.Exists(ctx, fmt.Sprintf("rate:rl:user:%d", u)).Result(); n != 1 {
				return false
			}
		}
		return true
	})
	other := ratelimit.New(rdb, nil)
	for u := range users {
		if ok, _, err := other.Allow(ctx, fmt.Sprintf("user:%d", u), lim); err != nil || ok {
			t.Errorf("user %d: strict Allow after the synced burst: allowed=%v err=%v", u, ok, err)
		}
	}
}
