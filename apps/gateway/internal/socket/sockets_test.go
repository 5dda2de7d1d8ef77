package socket

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatforge/chat/apps/gateway/internal/limits"
)

// TestSocketsPerUser: a user's sockets are counted across gateways; one
// over the limit is refused before the upgrade (429 problem+json with
// Retry-After); a closed socket frees its slot.
func TestSocketsPerUser(t *testing.T) {
	e := newEnvDeps(t, 2, nil, func(d *Deps) { d.Sockets = limits.NewSockets(d.Redis, 3, 2*time.Second) })
	u := e.user(t)
	first := e.dial(t, 0, u.Token)
	e.dial(t, 0, u.Token)
	e.dial(t, 1, u.Token)

	url := "ws" + strings.TrimPrefix(e.gws[1].srv.URL, "http") + "/ws"
	h := http.Header{"Authorization": {"Bearer " + u.Token}}
	conn, resp, err := websocket.DefaultDialer.Dial(url, h)
	if err == nil {
		conn.Close()
		t.Fatal("fourth socket admitted, want 429")
	}
	if resp == nil || resp.StatusCode != http.StatusTooManyRequests ||
		resp.Header.Get("Retry-After") == "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("fourth socket: %v %+v, want 429 problem+json with Retry-After", err, resp)
	}
	// Another user is not affected.
	e.dial(t, 1, e.user(t).Token)

	// Closing one frees a slot (released on close, not after the TTL).
	first.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, resp, err := websocket.DefaultDialer.Dial(url, h)
		if err == nil {
			c.Close()
			return
		}
		if resp == nil || resp.StatusCode != http.StatusTooManyRequests || time.Now().After(deadline) {
			t.Fatalf("after a close: %v, want the socket admitted", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
