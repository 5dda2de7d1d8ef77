package socket

import (
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chatforge/chat/apps/gateway/internal/protocol"
)

// TestDeadPeerIsCut: a client that never answers pings (it never reads) is
// closed after PongWait.
func TestDeadPeerIsCut(t *testing.T) {
	e := newEnv(t, 1, func(c *Config) { c.PingInterval = 100 * time.Millisecond; c.CommandTimeout = 100 * time.Millisecond })
	a := e.user(t)
	u := "ws" + strings.TrimPrefix(e.gws[0].srv.URL, "http") + "/ws?access_token=" + a.Token
	conn, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	waitConns(t, e.gws[0].g, 1)
	start := time.Now()
	waitConns(t, e.gws[0].g, 0)
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("dead peer cut after %s", el)
	}
}

// TestTokenExpiryCloses4001: the socket ends when its access token does.
func TestTokenExpiryCloses4001(t *testing.T) {
	e := newEnv(t, 1, nil)
	a := e.user(t)
	// Signed 15 minutes ago minus a second: it expires in a second.
	tok, _, err := e.signer.Sign(a.ID, a.SessionID, time.Now().Add(-15*time.Minute+time.Second))
	if err != nil {
		t.Fatal(err)
	}
	c := e.dial(t, 0, tok)
	if code := c.closeCode(t); code != protocol.CloseUnauthorized {
		t.Errorf("close code = %d, want 4001", code)
	}
}
