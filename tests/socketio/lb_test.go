package socketio

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestPollingWithoutStickySessions: a polling-only client behind nginx in
// round-robin over two gateways: its requests alternate between them (the
// access log shows both), and it keeps one session through several ping
// cycles, sending and receiving.
func TestPollingWithoutStickySessions(t *testing.T) {
	t.Parallel()
	s, gws := newStack(t, 2)
	lb := startNginx(t, gws...)
	alice, bob := user(t, s), user(t, s)
	room := createRoom(t, s, alice, bob.ID)
	d := newDriver(t)

	a := d.connect("a", lb.URL(), map[string]any{"transports": []string{"polling"}, "auth": map[string]any{"token": alice.AccessToken}})
	sid := a.waitType("connect").SID
	a.call("join-room", map[string]any{"roomId": room})
	b := d.connect("b", lb.URL(), map[string]any{"transports": []string{"websocket"}, "auth": map[string]any{"token": bob.AccessToken}})
	b.waitType("connect")
	b.call("join-room", map[string]any{"roomId": room})

	for i := range 4 {
		content := "round " + strings.Repeat("robin ", i+1)
		sent := decode[message](t, a.call("send-message", map[string]any{"roomId": room, "content": content}))
		b.waitEvent("receive-message", func(raw json.RawMessage) bool { return decode[message](t, raw).ID == sent.ID })
		m := decode[message](t, b.call("send-message", map[string]any{"roomId": room, "content": "back " + content}))
		a.waitEvent("receive-message", func(raw json.RawMessage) bool { return decode[message](t, raw).ID == m.ID })
		time.Sleep(time.Second) // ping cycles (PING_INTERVAL=2s) through the balancer
	}
	d.mu.Lock()
	for _, e := range d.events {
		if e.ID == "a" && (e.Type == "disconnect" || e.Type == "connect_error") {
			t.Errorf("the polling client lost its session: %+v", e)
		}
	}
	d.mu.Unlock()

	ups := lb.upstreamsOf(t, sid)
	if len(ups) != 2 {
		t.Fatalf("the polling session's requests by gateway: %v, want both gateways", ups)
	}
	t.Logf("requests of one polling session by gateway: %v", ups)
}

// TestDrainResumesElsewhere: SIGTERM to the gateway holding a client
// (each transport in turn) closes its transport; socket.io-client
// reconnects by itself through the balancer to the other gateway, and a
// join-room with the last seq it saw brings every message sent meanwhile:
// none missing.
func TestDrainResumesElsewhere(t *testing.T) {
	t.Parallel()
	s, gws := newStack(t, 2)
	lb := startNginx(t, gws...)
	alice, bob := user(t, s), user(t, s)
	room := createRoom(t, s, bob, alice.ID)
	d := newDriver(t)

	for _, transport := range []string{"websocket", "polling"} {
		c := d.connect(transport, lb.URL(), map[string]any{"transports": []string{transport}, "auth": map[string]any{"token": alice.AccessToken}})
		owner := ownerOf(t, gws, c.waitType("connect").SID)
		c.call("join-room", map[string]any{"roomId": room})
		last := sendREST(t, s, bob, room, transport+" before the drain")
		c.waitEvent("receive-message", func(raw json.RawMessage) bool { return decode[message](t, raw).Seq == last })

		owner.Stop() // SIGTERM: drains, then exits
		missed := []int64{sendREST(t, s, bob, room, transport+" during 1"), sendREST(t, s, bob, room, transport+" during 2")}
		// Websocket: the drain closes it ("transport close"). Polling: the
		// close packet, or a request the stopping gateway no longer takes
		// ("transport error"). Either way the client reconnects by itself.
		if r := c.waitType("disconnect").Reason; r != "transport close" && r != "transport error" {
			t.Fatalf("%s: disconnect reason %q", transport, r)
		}
		if other := ownerOf(t, gws, c.waitType("connect").SID); other == owner {
			t.Fatalf("%s: reconnected to the stopped gateway", transport)
		}
		ack := decode[joinAck](t, c.call("join-room", map[string]any{"roomId": room, "lastSeq": last}))
		if ack.LastSeq != missed[1] || (ack.Recovered != nil && !*ack.Recovered) {
			t.Fatalf("%s: resume ack %+v", transport, ack)
		}
		for _, seq := range missed {
			c.waitEvent("receive-message", func(raw json.RawMessage) bool { return decode[message](t, raw).Seq == seq })
		}
		owner.Restart(t)
	}
}

// ownerOf is the gateway an Engine.IO sid names (sid = random "." base64url(address)).
func ownerOf(t *testing.T, gws []*gateway, sid string) *gateway {
	t.Helper()
	_, enc, _ := strings.Cut(sid, ".")
	addr, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		t.Fatalf("sid %q names no gateway", sid)
	}
	for _, g := range gws {
		if g.addr == string(addr) {
			return g
		}
	}
	t.Fatalf("sid %q names %s, not a gateway of the test", sid, addr)
	return nil
}
