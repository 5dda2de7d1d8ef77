package presence

import (
	"slices"
	"testing"
	"time"
)

func TestRoomTracker(t *testing.T) {
	tr := NewRoomTracker()
	if got := tr.Add("u1", []string{"r1", "r2"}); !slices.Equal(got, []string{"r1", "r2"}) {
		t.Errorf("first Add = %v", got)
	}
	if got := tr.Add("u1", []string{"r2", "r3"}); !slices.Equal(got, []string{"r3"}) {
		t.Errorf("second Add = %v, want only the new room", got)
	}
	tr.Add("u2", []string{"r1"})
	if !tr.Has("u1", "r3") || tr.Has("u2", "r3") || tr.Count("r1") != 2 {
		t.Errorf("Has/Count wrong: %v %v %d", tr.Has("u1", "r3"), tr.Has("u2", "r3"), tr.Count("r1"))
	}
	on := tr.Online("r1", 10)
	slices.Sort(on)
	if !slices.Equal(on, []string{"u1", "u2"}) || tr.Online("r1", 1) != nil {
		t.Errorf("Online = %v / %v", on, tr.Online("r1", 1))
	}
	got := tr.Remove("u1")
	if len(got) != 3 || got["r1"] != 2 || got["r2"] != 1 {
		t.Errorf("Remove = %v", got)
	}
	if tr.Has("u1", "r1") || tr.Count("r1") != 1 || tr.Count("r2") != 0 || tr.Remove("u1") != nil {
		t.Error("u1 not forgotten")
	}
	if len(tr.rooms) != 1 || len(tr.users) != 1 {
		t.Errorf("empty entries left: %v %v", tr.rooms, tr.users)
	}
}

func TestEventRoomsRoundTrip(t *testing.T) {
	e, err := DecodeEvent([]byte(`{"userId":"u","status":"online","rooms":["a","b"]}`))
	if err != nil || !e.Online || !slices.Equal(e.Rooms, []string{"a", "b"}) {
		t.Errorf("DecodeEvent = %+v, %v", e, err)
	}
	e, err = DecodeEvent([]byte(`{"userId":"u","status":"offline","lastSeen":1700000000000}`))
	if err != nil || e.Online || e.Rooms != nil || !e.LastSeen.Equal(time.UnixMilli(1700000000000)) {
		t.Errorf("DecodeEvent offline = %+v, %v", e, err)
	}
}
