package redisconn_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/config"
	"github.com/chatforge/chat/platform/outage"
	"github.com/chatforge/chat/platform/redisconn"
	"github.com/chatforge/chat/platform/testenv"
)

// TestRedisClusterHelpers runs Open and the helpers against a real
// 3-master Redis Cluster.
func TestRedisClusterHelpers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	t.Parallel()
	cl := testenv.StartRedisCluster(t, 3)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	rdb, err := redisconn.Open(ctx, config.Redis{ClusterAddrs: cl.Addrs[:1], URL: "redis://127.0.0.1:1/0"})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	if !redisconn.IsCluster(rdb) || redisconn.DB(rdb) != 0 {
		t.Fatalf("Open gave %T", rdb)
	}

	keys := make([]string, 200)
	for i := range keys {
		keys[i] = fmt.Sprintf("k:%d", i)
	}
	keys = append(keys, "a:{tag}:1", "b:{tag}:2", "{}x", "x{}", "{a}{b}")
	for _, k := range keys {
		want, err := rdb.ClusterKeySlot(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got := redisconn.Slot(k); int64(got) != want {
			t.Errorf("Slot(%q) = %d, server says %d", k, got, want)
		}
	}

	groups := redisconn.SlotGroups(rdb, keys)
	seen := 0
	for _, g := range groups {
		seen += len(g)
		// A multi-key command over each group is accepted.
		gk := make([]string, len(g))
		for i, idx := range g {
			gk[i] = keys[idx]
		}
		if err := rdb.Del(ctx, gk...).Err(); err != nil {
			t.Errorf("DEL over one slot group: %v", err)
		}
	}
	if seen != len(keys) || len(groups) < 100 {
		t.Errorf("%d groups covering %d keys, want one per slot covering %d", len(groups), seen, len(keys))
	}
	if err := rdb.Del(ctx, keys[0], keys[1], keys[2]).Err(); err == nil {
		t.Error("a cross-slot DEL was accepted: the groups prove nothing")
	}

	for _, k := range keys {
		rdb.Set(ctx, "scan:"+k, 1, time.Minute)
	}
	var mu sync.Mutex
	found := map[string]bool{}
	err = redisconn.ScanKeys(ctx, rdb, "scan:*", 50, func(ctx context.Context, c redis.Cmdable, ks []string) error {
		for _, k := range ks {
			if err := c.Exists(ctx, k).Err(); err != nil {
				return err
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, k := range ks {
			found[k] = true
		}
		return nil
	})
	if err != nil || len(found) != len(keys) {
		t.Errorf("ScanKeys found %d of %d keys (%v)", len(found), len(keys), err)
	}

	nr := redisconn.WithoutRetries(rdb)
	defer nr.Close()
	if err := nr.XAdd(ctx, &redis.XAddArgs{Stream: "s{1}", Values: []any{"f", "v"}}).Err(); err != nil {
		t.Errorf("XADD without retries: %v", err)
	}

	// Readiness asks every master: one down is an outage.
	if err := redisconn.Ping(ctx, rdb); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	cl.Kill(2)
	pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
	defer pcancel()
	if err := redisconn.Ping(pctx, rdb); !errors.Is(err, outage.ErrUnavailable) {
		t.Errorf("Ping with a master down = %v, want outage.ErrUnavailable", err)
	}
}

// BenchmarkSlotGroups: grouping a batched rate-limit sync's 500 keys by
// slot, as a cluster client does every sync interval.
func BenchmarkSlotGroups(b *testing.B) {
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}}) // never dialled
	defer rdb.Close()
	keys := make([]string, 500)
	for i := range keys {
		keys[i] = fmt.Sprintf("rate:rl:user:0b6a1c2e-3d4f-4a5b-8c7d-%012d", i)
	}
	b.ReportAllocs()
	for b.Loop() {
		redisconn.SlotGroups(rdb, keys)
	}
}
