package socketio

import (
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
