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

// A sync looks only at the keys used since the last one (and those due to
// drain), not at every key kept: idle keys cost nothing per interval.
func TestTakeVisitsOnlyUsedKeys(t *testing.T) {
	t.Parallel()
	l := newLocal()
	lim := Limit{Rate: 1, Period: time.Hour, Burst: 10} // kept for hours
	now := time.Now()
	for i := range 10_000 {
		l.allow(strconv.Itoa(i), lim, now)
	}
	if got := len(l.take(now)); got != 10_000 {
		t.Fatalf("take reported %d keys, want 10000", got)
	}
	for _, key := range []string{"7", "70", "700"} {
		l.allow(key, lim, now)
	}
	l.visits = 0
	if got := len(l.take(now.Add(time.Second))); got != 3 {
		t.Fatalf("take reported %d keys, want 3", got)
	}
	if l.visits != 3 {
		t.Errorf("take looked at %d keys for 3 used ones", l.visits)
	}
	if l.len() != 10_000 {
		t.Errorf("%d keys kept, want 10000 (none drained)", l.len())
	}
}

// A key is forgotten when its state drains, including a drain pushed later
// by what Redis answered.
func TestLocalForgetsAtLearnedDrain(t *testing.T) {
	t.Parallel()
	l := newLocal()
	lim := Limit{Rate: 10, Period: time.Second, Burst: 10}
	now := time.Now()
	l.allow("a", lim, now) // drains at now+100ms
	l.allow("b", lim, now)
	dues := l.take(now)
	for _, d := range dues {
		if d.key == "b" {
			l.learn(d, time.Minute, now) // other instances used b
		}
	}
	if l.take(now.Add(time.Second)); l.len() != 1 {
		t.Fatalf("%d keys kept after a drained, want 1 (b)", l.len())
	}
	if ok, _ := l.allow("b", lim, now.Add(time.Second)); ok {
		t.Error("b admitted before its learned drain")
	}
	if l.take(now.Add(2 * time.Minute)); l.len() != 0 {
		t.Errorf("%d keys kept after b drained, want 0", l.len())
	}
}
