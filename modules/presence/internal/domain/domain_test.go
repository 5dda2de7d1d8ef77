package domain

import (
	"errors"
	"testing"
	"time"
)

func TestLeaseAndTiming(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	l, err := NewLease("u", "c", now, time.Minute)
	if err != nil || !l.Expires.Equal(now.Add(time.Minute)) {
		t.Fatalf("NewLease = %+v, %v", l, err)
	}
	if _, err := NewLease("", "c", now, time.Minute); !errors.Is(err, ErrInvalid) {
		t.Errorf("lease without user: %v", err)
	}
	if _, err := NewTiming(500 * time.Millisecond); !errors.Is(err, ErrInvalid) {
		t.Errorf("sub-second TTL accepted: %v", err)
	}
	tm, _ := NewTiming(60 * time.Second)
	if tm.Heartbeat != 20*time.Second || tm.Sweep != 10*time.Second || tm.MaxOfflineDelay() != 70*time.Second {
		t.Errorf("timing for 60s = %+v", tm)
	}
	tm, _ = NewTiming(time.Second)
	if tm.Sweep != 250*time.Millisecond {
		t.Errorf("sweep for 1s = %v, want the 250ms floor", tm.Sweep)
	}
}

func TestTypingTable(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	tt := NewTypingTable(5 * time.Second)
	k := TypingKey{UserID: "u", RoomID: "r"}
	if !tt.Start(k, now) {
		t.Error("first start not announced")
	}
	if tt.Start(k, now.Add(3*time.Second)) {
		t.Error("refresh announced as a new start")
	}
	if got := tt.Expire(now.Add(7 * time.Second)); len(got) != 0 {
		t.Errorf("refreshed entry expired early: %v", got)
	}
	if got := tt.Expire(now.Add(8 * time.Second)); len(got) != 1 || got[0] != k {
		t.Errorf("Expire = %v, want [%v]", got, k)
	}
	if tt.Stop(k) {
		t.Error("stop after expiry announced")
	}
	tt.Start(k, now)
	if !tt.Stop(k) || tt.Len() != 0 {
		t.Error("stop of an ongoing typing not announced")
	}
}
