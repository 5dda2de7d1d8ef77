package authn

import (
	"context"
	"testing"
	"time"

	"github.com/chatforge/chat/platform/testenv"
)

// A quiet subscription is kept (pings answered), stays live, and still
// delivers announcements afterwards.
func TestMirrorSurvivesSilence(t *testing.T) {
	t.Parallel()
	rdb := testenv.RedisClient(t)
	r := NewRevocations(rdb, time.Minute)
	r.health = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	waitLive := func() {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !r.Live() {
			if time.Now().After(deadline) {
				t.Fatal("mirror not live")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitLive()
	// Many health intervals of silence: pinged, never dropped.
	for range 10 {
		time.Sleep(50 * time.Millisecond)
		if !r.Live() {
			t.Fatal("mirror went off line over a quiet subscription")
		}
	}
	other := NewRevocations(rdb, time.Minute)
	if err := other.Revoke(t.Context(), "quiet-1"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.mu.RLock()
		_, ok := r.sids["quiet-1"]
		r.mu.RUnlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("announcement after silence not mirrored")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
