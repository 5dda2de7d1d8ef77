package ratelimit

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkTakeIdleKeys is one sync's take with 100k keys kept (used in
// the last hours, not drained) and 10 used since the last sync: the cost
// of each sync interval on a busy instance.
func BenchmarkTakeIdleKeys(b *testing.B) {
	const keys, used = 100_000, 10
	l := newLocal()
	lim := Limit{Rate: 1, Period: time.Hour, Burst: 1_000_000} // not refused, not drained, within the benchmark
	now := time.Now()
	names := make([]string, keys)
	for i := range names {
		names[i] = strconv.Itoa(i)
		l.allow(names[i], lim, now)
	}
	l.take(now)
	n := 0
	for b.Loop() {
		for range used {
			l.allow(names[n%keys], lim, now)
			n += 7919 // a prime: spreads over keys and shards
		}
		if len(l.take(now)) != used {
			b.Fatal("take missed keys")
		}
	}
}
