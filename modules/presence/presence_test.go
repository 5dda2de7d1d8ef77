package presence

import (
	"testing"
	"time"
)

func TestDecodeEvent(t *testing.T) {
	t.Parallel()
	e, err := DecodeEvent([]byte(`{"userId":"u","status":"offline","lastSeen":1700000000123}`))
	if err != nil || e.Online || e.LastSeen.UnixMilli() != 1700000000123 {
		t.Errorf("DecodeEvent = %+v, %v", e, err)
	}
	if _, err := DecodeEvent([]byte(`{"userId":"u","status":"away"}`)); err == nil {
		t.Error("unknown status accepted")
	}
	ty, err := DecodeTyping([]byte(`{"userId":"u","roomId":"r","state":"start"}`))
	if err != nil || !ty.Active || ty.RoomID != "r" {
		t.Errorf("DecodeTyping = %+v, %v", ty, err)
	}
	if _, err := DecodeTyping([]byte(`{"userId":"u","state":"start"}`)); err == nil {
		t.Error("typing without room accepted")
	}
}

func TestTypingTrackerExpires(t *testing.T) {
	t.Parallel()
	tr := NewTypingTracker(5 * time.Second)
	now := time.Unix(0, 0)
	start := Typing{UserID: "u", RoomID: "r", Active: true}
	if !tr.Apply(start, now) || tr.Apply(start, now.Add(time.Second)) {
		t.Error("start/refresh transitions wrong")
	}
	if got := tr.Expire(now.Add(6 * time.Second)); len(got) != 1 || got[0].Active || got[0].UserID != "u" {
		t.Errorf("Expire = %+v", got)
	}
	if tr.Apply(Typing{UserID: "u", RoomID: "r"}, now) {
		t.Error("stop after expiry announced")
	}
}
