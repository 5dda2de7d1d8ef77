package socket

import (
	"testing"
	"time"

	"github.com/chatforge/chat/apps/gateway/internal/hub"
	"github.com/chatforge/chat/apps/gateway/internal/protocol"
)

// joinOK sends join-room and waits for its ack.
func joinOK(t *testing.T, c *wsClient, room string) {
	t.Helper()
	c.send("join-room", "j-"+room, map[string]any{"roomId": room})
	if f := c.expect(t, "ack", "error"); f.Event != "ack" {
		t.Fatalf("join-room %s: %v", room, f)
	}
}

// TestPresenceSharedRoomsOnly: presence goes to the sockets that share a
// room other than the global one with the user, across gateways; a joining
// socket learns who is online in the room; sockets sharing only the global
// room get nothing.
func TestPresenceSharedRoomsOnly(t *testing.T) {
	e := newEnv(t, 2, nil)
	a, b, stranger := e.user(t), e.user(t), e.user(t)
	room := e.room(t, "private", a.ID, b.ID)

	cs := e.dial(t, 1, stranger.Token)
	ca := e.dial(t, 1, a.Token)
	joinOK(t, ca, room)

	cb := e.dial(t, 0, b.Token)
	joinOK(t, cb, room)
	// The snapshot at join: a was already online in the room.
	waitPresence(t, cb, a.ID, "online")
	// b's join announced b to the room, on the other gateway too.
	waitPresence(t, ca, b.ID, "online")

	// A second socket of b joining again announces nothing new.
	cb2 := e.dial(t, 1, b.Token)
	joinOK(t, cb2, room)
	waitPresence(t, cb2, a.ID, "online")
	ca.quiet(t, 300*time.Millisecond, "presence")

	// Offline only when b's last socket goes, with lastSeen.
	cb2.conn.Close()
	ca.quiet(t, 300*time.Millisecond, "presence")
	cb.conn.Close()
	if p := waitPresence(t, ca, b.ID, "offline"); p["lastSeen"] == nil {
		t.Errorf("offline presence without lastSeen: %v", p)
	}

	// The stranger shares only the global room: no presence at all.
	cs.quiet(t, 300*time.Millisecond, "presence")

	// b comes back: the user-wide online goes nowhere until b joins the
	// room again.
	cb = e.dial(t, 0, b.Token)
	ca.quiet(t, 300*time.Millisecond, "presence")
	joinOK(t, cb, room)
	waitPresence(t, ca, b.ID, "online")
}

// TestPresenceOnDrain: a drained gateway's users go offline for the
// members of their rooms on the other gateway.
func TestPresenceOnDrain(t *testing.T) {
	e := newEnv(t, 2, nil)
	a, b := e.user(t), e.user(t)
	room := e.room(t, "private", a.ID, b.ID)
	watcher := e.dial(t, 1, a.Token)
	joinOK(t, watcher, room)
	c := e.dial(t, 0, b.Token)
	joinOK(t, c, room)
	waitPresence(t, watcher, b.ID, "online")
	e.gws[0].stop()
	c.closeCode(t)
	waitPresence(t, watcher, b.ID, "offline")
}

// TestReadyIsFirst: ready is queued before the connection is registered,
// so a frame fanned out the instant it is (here: to every connection, as
// presence once was) comes after ready.
func TestReadyIsFirst(t *testing.T) {
	e := newEnv(t, 1, nil)
	g := e.gws[0].g
	hook := func(*hub.Conn) { g.hub.DeliverAll(protocol.Presence("someone", true, time.Time{})) }
	g.afterAdd.Store(&hook)
	defer g.afterAdd.Store(nil)
	for range 5 {
		c, err := e.tryDial(0, e.user(t).Token)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []string{"ready", "presence"} {
			select {
			case f, ok := <-c.frames:
				if !ok || f.Event != want {
					t.Fatalf("frame %d = %v (open %v), want %s", i, f, ok, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no frame %d within 10s", i)
			}
		}
		c.conn.Close()
	}
}
