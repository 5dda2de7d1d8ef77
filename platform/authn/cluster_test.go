package authn_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chatforge/chat/platform/authn"
	"github.com/chatforge/chat/platform/testenv"
)

// On a Redis Cluster: revoking sessions whose markers are in many hash
// slots at once, announcing them to a live mirror (pub/sub across nodes),
// the mirror's snapshot of every master's markers, and Restore.
func TestRevocationsOnRedisCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	t.Parallel()
	ctx := t.Context()
	rdb := testenv.StartRedisCluster(t, 3).Client(t)
	api := authn.NewRevocations(rdb, ttl)
	var before, after []string
	for i := range 30 {
		before = append(before, fmt.Sprintf("c-before-%d", i))
		after = append(after, fmt.Sprintf("c-after-%d", i))
	}
	if err := api.Revoke(ctx, before...); err != nil {
		t.Fatalf("Revoke over many slots: %v", err)
	}
	gw := authn.NewRevocations(rdb, 0)
	runMirror(t, gw)
	if err := api.Revoke(ctx, after...); err != nil {
		t.Fatalf("Revoke over many slots: %v", err)
	}
	eventually(t, "announcements", func() bool {
		for _, sid := range after {
			if !revoked(t, gw, sid) {
				return false
			}
		}
		return true
	})
	// Answered from memory: the snapshot covered every master.
	for _, sid := range before {
		dropMarker(t, rdb, sid)
		if !revoked(t, gw, sid) {
			t.Errorf("%s revoked before the mirror started is missing from its snapshot", sid)
		}
	}
	if revoked(t, gw, "c-never") {
		t.Error("unrelated session reported revoked")
	}
	// Redis lost the markers of before: Restore brings them back.
	missing := map[string]time.Time{}
	for _, sid := range before {
		missing[sid] = time.Now()
	}
	if n, err := api.Restore(ctx, missing); err != nil || n != len(before) {
		t.Errorf("Restore = %d, %v; want %d", n, err, len(before))
	}
	for _, sid := range before {
		if got, err := api.IsRevokedInRedis(ctx, sid); err != nil || !got {
			t.Errorf("%s not restored: %v %v", sid, got, err)
		}
	}
}
