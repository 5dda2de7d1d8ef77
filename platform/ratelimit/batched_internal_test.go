package ratelimit

import (
	"strconv"
	"testing"
	"time"
)

// Local states are forgotten once reported and drained, so memory follows
// the keys active within a burst's drain time, not every key ever seen.
func TestLocalForgetsDrainedKeys(t *testing.T) {
	t.Parallel()
	l := newLocal()
	lim := Limit{Rate: 10, Period: time.Second, Burst: 10}
	now := time.Now()
	for i := range 100 {
		if ok, _ := l.allow(strconv.Itoa(i), lim, now); !ok {
			t.Fatal("refused a fresh key")
		}
	}
	if got := len(l.take(now)); got != 100 {
		t.Fatalf("take reported %d keys, want 100", got)
	}
	if n := l.len(); n != 100 {
		t.Fatalf("%d keys kept right after take, want 100 (not yet drained)", n)
	}
	if got := len(l.take(now.Add(time.Second))); got != 0 || l.len() != 0 {
		t.Errorf("after draining: %d reported, %d kept; want 0, 0", got, l.len())
	}
}

// The local GCRA matches redis_rate's: Burst at once, then one per T.
func TestLocalGCRA(t *testing.T) {
	t.Parallel()
	l := newLocal()
	lim := Limit{Rate: 2, Period: time.Second, Burst: 3}
	now := time.Now()
	for i := range 3 {
		if ok, _ := l.allow("k", lim, now); !ok {
			t.Fatalf("event %d of burst refused", i)
		}
	}
	ok, retry := l.allow("k", lim, now)
	if ok || retry != 500*time.Millisecond {
		t.Fatalf("over burst: ok=%v retry=%v, want refused, 500ms", ok, retry)
	}
	if ok, _ := l.allow("k", lim, now.Add(500*time.Millisecond)); !ok {
		t.Error("refused after one emission interval")
	}
}
