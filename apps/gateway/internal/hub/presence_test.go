package hub

import (
	"slices"
	"testing"
)

// TestOnJoinedAfterAck: the OnJoined hook runs once a join completed, after
// the ack, with the room authorized; not for a failed join.
func TestOnJoinedAfterAck(t *testing.T) {
	var calls []string
	var h *Hub
	h = New(Config{SendLimit: 16, OnJoined: func(c *Conn, room string) {
		sink := c.sink.(*recSink)
		if got := sink.got(); got != "ack" {
			t.Errorf("frames at OnJoined = %q, want the ack", got)
		}
		if !slices.Contains(c.AuthorizedRooms(), room) {
			t.Errorf("room %s not authorized at OnJoined", room)
		}
		calls = append(calls, c.ID+"/"+room)
	}}, nil)
	c, _ := newConn(h, "c1", "u1", true)
	h.BeginJoin(c, "r").Complete(nil, 3, nil, []byte("ack"))
	h.BeginJoin(c, "x").Abort(false)
	if !slices.Equal(calls, []string{"c1/r"}) {
		t.Errorf("OnJoined calls = %v", calls)
	}
}

// TestDeliverRooms: a frame for several rooms reaches each authorized
// connection once, never the excepted user, never a join in flight.
func TestDeliverRooms(t *testing.T) {
	h := New(Config{SendLimit: 16}, nil)
	both, sBoth := newConn(h, "both", "u1", true)
	one, sOne := newConn(h, "one", "u2", true)
	self, sSelf := newConn(h, "self", "u3", true)
	pending, sPending := newConn(h, "pending", "u4", true)
	outside, sOutside := newConn(h, "outside", "u5", true)
	for _, c := range []*Conn{both, self} {
		h.BeginJoin(c, "a").Complete(nil, 1, nil, []byte("ack"))
		h.BeginJoin(c, "b").Complete(nil, 1, nil, []byte("ack"))
	}
	h.BeginJoin(one, "b").Complete(nil, 1, nil, []byte("ack"))
	h.BeginJoin(pending, "a") // in flight: not authorized
	h.BeginJoin(outside, "c").Complete(nil, 1, nil, []byte("ack"))

	if n := h.DeliverRooms([]string{"a", "b"}, "u3", []byte("p")); n != 2 {
		t.Errorf("delivered to %d, want 2", n)
	}
	for name, tc := range map[string]struct {
		s    *recSink
		want string
	}{
		"both": {sBoth, "ack ack p"}, "one": {sOne, "ack p"}, "self": {sSelf, "ack ack"},
		"pending": {sPending, ""}, "outside": {sOutside, "ack"},
	} {
		if got := tc.s.got(); got != tc.want {
			t.Errorf("%s got %q, want %q", name, got, tc.want)
		}
	}
	if got := h.User("u1"); len(got) != 1 || got[0] != both {
		t.Errorf("User(u1) = %v", got)
	}
}
