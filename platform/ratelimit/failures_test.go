package ratelimit_test

import (
	"testing"
	"time"

	"github.com/chatforge/chat/platform/ratelimit"
)

// TestFailures: an address that keeps failing is refused; once the
// account-wide budget is spent, every address that failed is refused but
// one that has not is still allowed; checking spends nothing.
func TestFailures(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	l := ratelimit.New(newRedis(t), nil)
	f := ratelimit.NewFailures(l,
		ratelimit.Limit{Rate: 3, Period: time.Minute, Burst: 3},
		ratelimit.Limit{Rate: 5, Period: time.Hour, Burst: 5})

	for range 10 { // checks are free
		if ok, _ := f.Check(ctx, "alice", "10.0.0.1"); !ok {
			t.Fatal("check refused before any failure")
		}
	}
	for range 3 {
		f.Fail(ctx, "alice", "10.0.0.1")
	}
	ok, retry := f.Check(ctx, "alice", "10.0.0.1")
	if ok || retry <= 0 || retry > time.Minute {
		t.Fatalf("after 3 failures: ok=%v retry=%s, want refused within a minute", ok, retry)
	}
	// Two more failures from elsewhere spend the account-wide budget (5).
	f.Fail(ctx, "alice", "10.0.0.2")
	f.Fail(ctx, "alice", "10.0.0.3")
	if ok, retry := f.Check(ctx, "alice", "10.0.0.2"); ok || retry <= 0 || retry > time.Hour {
		t.Fatalf("failed address after the account budget: ok=%v retry=%s", ok, retry)
	}
	// The owner, from an address that has not failed, still may.
	if ok, _ := f.Check(ctx, "alice", "192.0.2.8"); !ok {
		t.Fatal("fresh address refused: a stranger locked the account")
	}
	// Other accounts are untouched.
	if ok, _ := f.Check(ctx, "bob", "10.0.0.1"); !ok {
		t.Fatal("another account refused")
	}
}
