package authn_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatforge/chat/platform/authn"
)

// runMirror starts r.Run and waits until the mirror is live.
func runMirror(t *testing.T, r *authn.Revocations) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	eventually(t, "mirror live", r.Live)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func revoked(t *testing.T, r *authn.Revocations, sid string) bool {
	t.Helper()
	got, err := r.IsRevoked(t.Context(), sid)
	if err != nil {
		t.Fatalf("IsRevoked(%s): %v", sid, err)
	}
	return got
}

// The marker is deleted behind the mirror's back: only an answer from
// memory still says revoked, which proves the mirror answered.
func dropMarker(t *testing.T, rdb redis.UniversalClient, sid string) {
	t.Helper()
	if err := rdb.Del(t.Context(), "revoked:sid:"+sid).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestMirrorSeesOtherInstancesRevocations(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	api := authn.NewRevocations(rdb, ttl)
	gw := authn.NewRevocations(rdb, 0)
	runMirror(t, gw)

	if revoked(t, gw, "m-live-1") {
		t.Fatal("not yet revoked session reported revoked")
	}
	if err := api.Revoke(t.Context(), "m-live-1"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "revocation announced", func() bool { return revoked(t, gw, "m-live-1") })
	dropMarker(t, rdb, "m-live-1")
	if !revoked(t, gw, "m-live-1") {
		t.Error("mirror forgot the revocation (answered from Redis?)")
	}
	if got, err := gw.IsRevokedInRedis(t.Context(), "m-live-1"); err != nil || got {
		t.Errorf("IsRevokedInRedis = %v, %v; want Redis's answer (marker dropped)", got, err)
	}
	if revoked(t, gw, "m-live-other") {
		t.Error("unrelated session reported revoked")
	}
}

func TestMirrorSnapshotCoversEarlierRevocations(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	api := authn.NewRevocations(rdb, ttl)
	if err := api.Revoke(t.Context(), "m-snap-1", "m-snap-2"); err != nil {
		t.Fatal(err)
	}
	gw := authn.NewRevocations(rdb, 0)
	runMirror(t, gw)
	dropMarker(t, rdb, "m-snap-1")
	if !revoked(t, gw, "m-snap-1") || !revoked(t, gw, "m-snap-2") {
		t.Error("revocation made before start missing from the mirror")
	}
}

func TestMirrorEntriesExpireWithTheirMarker(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	rdb := newRedis(t)
	if err := rdb.Set(ctx, "revoked:sid:m-exp-snap", "1", 300*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	gw := authn.NewRevocations(rdb, 0)
	runMirror(t, gw)
	if err := rdb.Set(ctx, "revoked:sid:m-exp-pub", "1", 300*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Publish(ctx, authn.RevokedChannel, "m-exp-pub").Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "announcement", func() bool { return revoked(t, gw, "m-exp-pub") })
	eventually(t, "expiry", func() bool { return !revoked(t, gw, "m-exp-snap") && !revoked(t, gw, "m-exp-pub") })
}

func TestRevocationsFallBackToRedisWhenNotLive(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	api := authn.NewRevocations(rdb, ttl)
	gw := authn.NewRevocations(rdb, 0)

	// Never started: Redis answers.
	if err := api.Revoke(t.Context(), "m-fb-1"); err != nil {
		t.Fatal(err)
	}
	if gw.Live() || !revoked(t, gw, "m-fb-1") {
		t.Fatal("not live: revocation not read from Redis")
	}

	// Stopped: off line again, and Redis answers (the dropped marker is
	// gone even though the stopped mirror had it).
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = gw.Run(ctx); close(done) }()
	eventually(t, "mirror live", gw.Live)
	cancel()
	<-done
	if gw.Live() {
		t.Fatal("live after Run returned")
	}
	dropMarker(t, rdb, "m-fb-1")
	if revoked(t, gw, "m-fb-1") {
		t.Error("stopped mirror answered instead of Redis")
	}

	// Redis unreachable and not live: an error, as before (the middleware
	// answers 503).
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = down.Close() })
	if _, err := authn.NewRevocations(down, ttl).IsRevoked(t.Context(), "x"); err == nil {
		t.Error("IsRevoked over an unreachable Redis: no error")
	}
}

// Revoke through the instance whose mirror is live is visible at once.
func TestMirrorSeesOwnRevocationAtOnce(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	api := authn.NewRevocations(rdb, ttl)
	runMirror(t, api)
	if err := api.Revoke(t.Context(), "m-own-1"); err != nil {
		t.Fatal(err)
	}
	if !revoked(t, api, "m-own-1") {
		t.Error("own revocation not seen at once")
	}
}
