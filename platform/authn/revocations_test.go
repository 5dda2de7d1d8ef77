package authn_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/testenv"
)

func newRedis(t *testing.T) *redis.Client {
	t.Helper()
	rdb := testenv.RedisClient(t)
	return rdb
}

func TestRevocations(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	rdb := newRedis(t)
	r := authn.NewRevocations(rdb, ttl)

	// Gateways learn of revocations through pub/sub.
	sub := rdb.Subscribe(ctx, authn.RevokedChannel)
	t.Cleanup(func() { _ = sub.Close() })
	if _, err := sub.Receive(ctx); err != nil { // subscription confirmed
		t.Fatalf("subscribe: %v", err)
	}

	if err := r.Revoke(ctx); err != nil {
		t.Fatalf("Revoke(): %v", err)
	}
	if err := r.Revoke(ctx, "s1", "s2"); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	for sid, want := range map[string]bool{"s1": true, "s2": true, "s3": false} {
		got, err := r.IsRevoked(ctx, sid)
		if err != nil || got != want {
			t.Errorf("IsRevoked(%s) = %v, %v; want %v", sid, got, err, want)
		}
	}

	// The marker outlives any token of the session (TTL + 30s leeway), and no more.
	pttl, err := rdb.PTTL(ctx, "revoked:sid:s1").Result()
	if err != nil {
		t.Fatal(err)
	}
	if pttl <= ttl || pttl > ttl+30*time.Second {
		t.Errorf("marker TTL = %v, want in (%v, %v]", pttl, ttl, ttl+30*time.Second)
	}

	got := map[string]bool{}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for len(got) < 2 {
		msg, err := sub.ReceiveMessage(rctx)
		if err != nil {
			t.Fatalf("receive: %v (got %v)", err, got)
		}
		// Pub/sub channels ignore the Redis DB number: tests of other
		// packages running at the same time publish on this channel too.
		if msg.Payload == "s1" || msg.Payload == "s2" {
			got[msg.Payload] = true
		}
	}
	if !got["s1"] || !got["s2"] {
		t.Errorf("published = %v, want s1 and s2", got)
	}
}
