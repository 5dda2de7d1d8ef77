package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestGatewaySocketsPerUser: two gateway processes share one per-user
// socket limit (WS_MAX_SOCKETS_PER_USER, counted in Redis); a socket over
// it is refused before the upgrade with 429 problem+json and Retry-After
// and counted in gateway_connections_refused_total; closing a socket frees
// its slot; a killed gateway's sockets free theirs after PRESENCE_TTL.
func TestGatewaySocketsPerUser(t *testing.T) {
	s, _ := newGatewayStack(t, 1, 0)
	env := map[string]string{"WS_MAX_SOCKETS_PER_USER": "2"}
	g0, g1 := startGateway(t, s, "gateway-0", env), startGateway(t, s, "gateway-1", env)
	c := s.Client(t)
	a := s.Register(t, c)

	connect(t, g0.WS(), a.AccessToken)
	second := connect(t, g1.WS(), a.AccessToken)
	refused := func(url string) bool {
		t.Helper()
		conn, resp, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"Bearer " + a.AccessToken}})
		if err == nil {
			conn.Close()
			return false
		}
		if resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
			t.Fatalf("over the limit: %v %+v, want 429 problem+json with Retry-After", err, resp)
		}
		return true
	}
	if !refused(g0.WS()) || !refused(g1.WS()) {
		t.Fatal("a third socket was admitted with WS_MAX_SOCKETS_PER_USER=2")
	}
	res, err := http.Get("http://" + g1.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `gateway_connections_refused_total{reason="too_many_sockets"} 1`) {
		t.Errorf("refusal not counted in the metrics")
	}

	// Closing a socket frees its slot.
	second.conn.Close()
	eventually(t, 5*time.Second, "a slot after a close", func() bool { return !refused(g1.WS()) })

	// A killed gateway says nothing; its sockets' leases lapse. (The probe
	// above released its slot on close, asynchronously: retry until the
	// second socket on g0 gets in.)
	eventually(t, 5*time.Second, "a second socket on gateway-0", func() bool {
		conn, _, err := websocket.DefaultDialer.Dial(g0.WS(), http.Header{"Authorization": {"Bearer " + a.AccessToken}})
		if err == nil {
			t.Cleanup(func() { conn.Close() })
		}
		return err == nil
	})
	if !refused(g1.WS()) {
		t.Fatal("admitted over the limit")
	}
	g0.Kill()
	eventually(t, 15*time.Second, "the killed gateway's leases lapse", func() bool { return !refused(g1.WS()) })
}
