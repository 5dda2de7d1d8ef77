package authn_test

import (
	"testing"
	"time"

	"github.com/chatforge/chat/platform/authn"
)

// TestRestoreAfterRedisLostItsData: a gateway whose mirror went live after
// Redis lost its data (empty snapshot) learns a restored revocation from
// its announcement; markers already there are left alone and not
// announced; a revocation older than the window is not restored.
func TestRestoreAfterRedisLostItsData(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	ctx := t.Context()
	api := authn.NewRevocations(rdb, ttl)
	if err := api.Revoke(ctx, "r-kept"); err != nil {
		t.Fatal(err)
	}
	// r-lost: revoked in PostgreSQL, its marker lost with Redis's data.
	gw := authn.NewRevocations(rdb, 0)
	runMirror(t, gw)
	if revoked(t, gw, "r-lost") {
		t.Fatal("lost revocation known before the restore")
	}

	now := time.Now()
	n, err := api.Restore(ctx, map[string]time.Time{
		"r-kept": now.Add(-time.Second), "r-lost": now.Add(-time.Second), "r-old": now.Add(-api.Window() - time.Minute),
	})
	if err != nil || n != 1 {
		t.Fatalf("Restore: %d, %v; want 1 (only r-lost was missing and recent)", n, err)
	}
	eventually(t, "the gateway learns the restored revocation", func() bool { return revoked(t, gw, "r-lost") })
	if d := rdb.PTTL(ctx, "revoked:sid:r-lost").Val(); d <= 0 || d > api.Window() {
		t.Errorf("restored marker TTL %s, want within %s", d, api.Window())
	}
	if rdb.Exists(ctx, "revoked:sid:r-old").Val() != 0 {
		t.Error("revocation older than the window restored")
	}
}
