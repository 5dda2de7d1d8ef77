package streamcmd

import (
	"testing"
	"time"

	"github.com/chatforge/chat/platform/testenv"
)

// TestStreamTime reads the clock of the command stream's node, on one
// Redis and on a Redis Cluster (where a plain TIME goes to any node).
func TestStreamTime(t *testing.T) {
	t.Parallel()
	check := func(name string, got time.Time, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d := time.Since(got); d < -time.Second || d > time.Second {
			t.Errorf("%s: clock %v is %v off this host's", name, got, d)
		}
	}
	got, err := streamTime(t.Context(), newRedis(t))
	check("one Redis", got, err)
	if testing.Short() {
		return
	}
	got, err = streamTime(t.Context(), testenv.StartRedisCluster(t, 3).Client(t))
	check("cluster", got, err)
}
